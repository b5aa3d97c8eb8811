// parley bench asr --asr DIR FILE [--threads N] [--method greedy|beam] [--repetitions R]
//
// Whole streaming decode of one file — features, encoder, search — as one stream fed in 100 ms
// chunks, endpointing off, tail padding as in `parley transcribe`. Prints one JSON line:
// audio_seconds, compute_seconds (best of the repetitions, model loading excluded, the first
// repetition includes warm-up), rtf, ms_per_chunk (compute / encoder chunks), chunks, tokens,
// first_repetition_seconds and bytes_per_stream (arenas + caches of one extra stream).
// Two more passes measure how soon a final result is available once an utterance ends:
//   final_after_endpoint_ms {p50, max, count}: endpointing on (the configured rules); each time
//     is_endpoint() turns true after a decode(), final() + reset() are timed (the trailing
//     silence that fired the rule is already decoded, so nothing is left to flush);
//   end_utterance_ms {p50, max, count}: the stream is cut every 5 s of audio with
//     end_utterance() (what the pipeline calls when the VAD ends a segment: tail padding
//     through the encoder, search, result, reset), each call timed — the worst case.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "asr/recognizer.h"
#include "assistant/commands.h"
#include "audio/opus_codec.h"
#include "audio/sound_file.h"
#include "kernels/cpu.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

struct BenchAsrOptions {
  std::string model_dir;
  std::string file;
  std::string method = "greedy";
  int threads = 1;
  int repetitions = 3;
};

void bench_asr(const BenchAsrOptions& o) {
  audio::SoundBuffer sound = audio::is_opus_file(o.file)
                                 ? audio::read_opus_file(o.file)
                                 : audio::read_sound_file(o.file, {.mix_to_mono = true});
  if (sound.channel_count > 1) {
    sound.samples = audio::mix_down_to_mono(sound.samples, sound.channel_count);
    sound.channel_count = 1;
  }
  asr::RecognizerConfig config;
  if (o.method == "beam") {
    config.method = asr::DecodingMethod::kBeam;
  } else if (o.method != "greedy") {
    throw Error("--method: '" + o.method + "' is neither greedy nor beam");
  }
  config.enable_endpoint = false;
  config.threads_per_stream = o.threads;
  const auto load_start = std::chrono::steady_clock::now();
  auto model = asr::TransducerModel::load(o.model_dir);
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const asr::Recognizer recognizer(model, config);
  const size_t chunk = static_cast<size_t>(sound.sample_rate_hz) / 10;
  double best = 1e30, first = 0;
  int64_t chunks = 0;
  size_t tokens = 0, stream_bytes = 0;
  for (int rep = 0; rep < o.repetitions; ++rep) {
    auto stream = recognizer.create_stream();
    const auto start = std::chrono::steady_clock::now();
    const std::span<const float> samples(sound.samples);
    for (size_t pos = 0; pos < samples.size(); pos += chunk) {
      stream->accept(samples.subspan(pos, std::min(chunk, samples.size() - pos)),
                     sound.sample_rate_hz);
      stream->decode();
    }
    stream->input_finished();
    const asr::RecognitionResult result = stream->final();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rep == 0) first = seconds;
    best = std::min(best, seconds);
    chunks = stream->chunks_decoded();
    tokens = result.token_ids.size();
    stream_bytes = stream->memory_bytes();
  }
  // Final result after an endpoint (rules on), and after a cut with end_utterance() every 5 s.
  auto timed_ms = [](auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  std::vector<double> endpoint_ms, cut_ms;
  {
    asr::RecognizerConfig with_endpoints = config;
    with_endpoints.enable_endpoint = true;
    const asr::Recognizer endpointing(model, with_endpoints);
    auto stream = endpointing.create_stream();
    auto cut_stream = recognizer.create_stream();
    const std::span<const float> samples(sound.samples);
    const size_t cut = static_cast<size_t>(sound.sample_rate_hz) * 5;
    for (size_t pos = 0; pos < samples.size(); pos += chunk) {
      const auto piece = samples.subspan(pos, std::min(chunk, samples.size() - pos));
      stream->accept(piece, sound.sample_rate_hz);
      stream->decode();
      if (stream->is_endpoint()) {
        endpoint_ms.push_back(timed_ms([&] {
          (void)stream->final();
          stream->reset();
        }));
      }
      cut_stream->accept(piece, sound.sample_rate_hz);
      cut_stream->decode();
      if ((pos + chunk) / cut != pos / cut) {
        cut_ms.push_back(timed_ms([&] { (void)cut_stream->end_utterance(); }));
      }
    }
  }
  auto summary = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return nlohmann::json{{"p50", v.empty() ? 0.0 : v[v.size() / 2]},
                          {"max", v.empty() ? 0.0 : v.back()},
                          {"count", v.size()}};
  };
  const double audio_seconds = sound.duration_seconds();
  nlohmann::json j;
  j["model"] = o.model_dir;
  j["family"] = model->family();
  j["method"] = o.method;
  j["file"] = o.file;
  j["threads"] = o.threads;
  j["audio_seconds"] = audio_seconds;
  j["compute_seconds"] = best;
  j["rtf"] = audio_seconds > 0 ? best / audio_seconds : 0.0;
  j["ms_per_chunk"] = chunks > 0 ? best * 1000.0 / static_cast<double>(chunks) : 0.0;
  j["chunks"] = chunks;
  j["tokens"] = tokens;
  j["first_repetition_seconds"] = first;
  j["load_seconds"] = load_seconds;
  j["bytes_per_stream"] = stream_bytes;
  j["final_after_endpoint_ms"] = summary(endpoint_ms);
  j["end_utterance_ms"] = summary(cut_ms);
  j["isa"] = std::string(kernels::isa_name(kernels::active_isa()));
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

void add_bench_asr_subcommand(CLI::App* bench) {
  auto o = std::make_shared<BenchAsrOptions>();
  CLI::App* cmd = bench->add_subcommand(
      "asr", "Streaming ASR speed on one file: audio s, compute s, RTF, ms per chunk (one JSON line)");
  cmd->add_option("--asr", o->model_dir, "Model folder (encoder/decoder/joiner .onnx, tokens.txt)")
      ->required();
  cmd->add_option("file", o->file, "Audio file")->required();
  cmd->add_option("--threads", o->threads, "Threads")->capture_default_str()->check(
      CLI::Range(1, 256));
  cmd->add_option("--method", o->method, "greedy or beam")->capture_default_str();
  cmd->add_option("--repetitions", o->repetitions, "Decodes; the fastest is reported")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->callback([o] { bench_asr(*o); });
}

}  // namespace parley::assistant
