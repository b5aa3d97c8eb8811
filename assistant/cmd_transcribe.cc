// parley transcribe [--asr DIR] FILE... [--method greedy|beam] [--hotwords FILE] [--vad MODEL]
//                   [--json] [--stream] [--threads N] [--chunk-ms MS] [--no-endpoint]
//
// Streams each file through the recognizer in chunks of --chunk-ms (as a microphone would),
// cutting utterances at endpoints (sherpa-onnx's rules, asr/endpoint.h), and prints the text per
// file; with --json one object per file: text, tokens, token ids, timestamps, words, segments,
// audio/compute seconds and RTF. --stream prints each partial result as it changes (to stdout,
// "partial <segment>: text"), then the finals. --vad ("energy" or a Silero .onnx) feeds the
// recognizer only the speech segments the VAD finds (each segment one utterance).
// Any file libsndfile or Opus reads; stereo is mixed down; any rate is resampled.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "assistant/models/model_store.h"
#include "asr/recognizer.h"
#include "asr/speech_segmenter.h"
#include "asr/vad_factory.h"
#include "assistant/commands.h"
#include "audio/opus_codec.h"
#include "audio/resampler.h"
#include "audio/sound_file.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

struct TranscribeOptions {
  std::string model_dir;
  std::vector<std::string> files;
  std::string method = "greedy";
  std::string hotwords_path;
  std::string vad;
  bool json = false;
  bool stream = false;
  bool no_endpoint = false;
  int threads = 1;
  int chunk_ms = 100;
};

audio::SoundBuffer read_mono(const std::string& path) {
  audio::SoundBuffer sound = audio::is_opus_file(path)
                                 ? audio::read_opus_file(path)
                                 : audio::read_sound_file(path, {.mix_to_mono = true});
  if (sound.channel_count > 1) {
    sound.samples = audio::mix_down_to_mono(sound.samples, sound.channel_count);
    sound.channel_count = 1;
  }
  if (sound.sample_rate_hz <= 0) throw Error(path + ": no sample rate");
  return sound;
}

nlohmann::json result_json(const asr::RecognitionResult& r) {
  nlohmann::json words = nlohmann::json::array();
  for (const auto& w : r.words) {
    words.push_back({{"word", w.text}, {"start", w.start_seconds}, {"end", w.end_seconds}});
  }
  return {{"text", r.text},       {"tokens", r.tokens},
          {"token_ids", r.token_ids}, {"timestamps", r.timestamps_seconds},
          {"words", words},       {"start", r.start_seconds}};
}

struct FileTranscript {
  std::vector<asr::RecognitionResult> segments;
  std::vector<double> segment_ends;  // seconds
  double audio_seconds = 0;
  double compute_seconds = 0;
  int64_t chunks = 0;
};

class Transcriber {
 public:
  Transcriber(const asr::Recognizer& recognizer, const TranscribeOptions& options)
      : recognizer_(recognizer), options_(options) {}

  FileTranscript run(const std::string& path) {
    const audio::SoundBuffer sound = read_mono(path);
    FileTranscript out;
    out.audio_seconds = sound.duration_seconds();
    auto stream = recognizer_.create_stream();
    const auto start = std::chrono::steady_clock::now();
    if (options_.vad.empty()) {
      feed(*stream, sound.samples, sound.sample_rate_hz, out);
      stream->input_finished();
      finish_segment(*stream, out, /*padded=*/true);
    } else {
      // The VAD runs at 16 kHz; the recognizer gets only the segments (each one utterance).
      std::unique_ptr<asr::VoiceActivityDetector> vad = asr::open_vad(options_.vad);
      const int rate = vad->sample_rate_hz();
      std::vector<float> samples =
          sound.sample_rate_hz == rate
              ? sound.samples
              : audio::resample(sound.samples, sound.sample_rate_hz, rate, 1);
      for (const asr::SpeechSegment& segment : asr::segment_speech(*vad, samples)) {
        const auto first = samples.begin() + segment.start_sample;
        const auto last = samples.begin() + std::min<int64_t>(segment.end_sample, samples.size());
        const double stream_start = stream->audio_seconds();
        feed(*stream, std::span<const float>(&*first, static_cast<size_t>(last - first)), rate, out);
        asr::RecognitionResult r = stream->end_utterance();
        shift_times(r, static_cast<double>(segment.start_sample) / rate - stream_start);
        report_final(r);
        out.segments.push_back(std::move(r));
        out.segment_ends.push_back(static_cast<double>(segment.end_sample) / rate);
      }
    }
    out.compute_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.chunks = stream->chunks_decoded();
    return out;
  }

 private:
  void feed(asr::Stream& stream, std::span<const float> samples, int rate, FileTranscript& out) {
    const size_t chunk = std::max<size_t>(1, static_cast<size_t>(rate) * options_.chunk_ms / 1000);
    for (size_t pos = 0; pos < samples.size(); pos += chunk) {
      stream.accept(samples.subspan(pos, std::min(chunk, samples.size() - pos)), rate);
      if (stream.decode() > 0 && options_.stream) report_partial(stream);
      if (options_.vad.empty() && stream.is_endpoint()) finish_segment(stream, out, false);
    }
  }

  void finish_segment(asr::Stream& stream, FileTranscript& out, bool at_end) {
    asr::RecognitionResult r = stream.final();
    if (!at_end) stream.reset();
    if (r.token_ids.empty() && !out.segments.empty() && at_end) return;
    report_final(r);
    out.segment_ends.push_back(stream.audio_seconds());
    out.segments.push_back(std::move(r));
  }

  // Results of a VAD-gated stream are in stream time (segments back to back plus padding); move
  // them to file time by `delta` seconds.
  static void shift_times(asr::RecognitionResult& r, double delta) {
    r.start_seconds += delta;
    for (double& t : r.timestamps_seconds) t += delta;
    for (auto& w : r.words) {
      w.start_seconds += delta;
      w.end_seconds += delta;
    }
  }

  void report_partial(const asr::Stream& stream) {
    if (options_.json) return;
    const asr::RecognitionResult r = stream.partial();
    if (r.text == last_partial_) return;
    last_partial_ = r.text;
    std::printf("partial %d: %s\n", r.segment, r.text.c_str());
    std::fflush(stdout);
  }

  void report_final(const asr::RecognitionResult& r) {
    last_partial_.clear();
    if (!options_.stream || options_.json) return;
    std::printf("final %d: %s\n", r.segment, r.text.c_str());
    std::fflush(stdout);
  }

  const asr::Recognizer& recognizer_;
  const TranscribeOptions& options_;
  std::string last_partial_;
};

void transcribe(const TranscribeOptions& o) {
  asr::RecognizerConfig config;
  if (o.method == "beam") {
    config.method = asr::DecodingMethod::kBeam;
  } else if (o.method != "greedy") {
    throw Error("--method: '" + o.method + "' is neither greedy nor beam");
  }
  if (!o.hotwords_path.empty()) {
    config.hotwords = asr::load_hotwords(o.hotwords_path);
    if (config.method != asr::DecodingMethod::kBeam) {
      std::fprintf(stderr, "parley: note: hotwords apply to --method beam only\n");
    }
  }
  config.threads_per_stream = o.threads;
  config.enable_endpoint = !o.no_endpoint;
  if (!o.vad.empty()) config.endpoint.vad.enabled = false;
  // With no --asr: the installed default (a fetched real model, else the shipped models/asr).
  auto model = asr::TransducerModel::load(models::resolve_default_model(models::ModelKind::kAsr, o.model_dir));
  const asr::Recognizer recognizer(model, config);
  Transcriber transcriber(recognizer, o);
  for (const std::string& path : o.files) {
    const FileTranscript t = transcriber.run(path);
    std::string text;
    for (const auto& s : t.segments) {
      if (s.text.empty()) continue;
      const size_t skip = s.text.front() == ' ' ? 1 : 0;
      text += (text.empty() ? "" : " ") + s.text.substr(skip);
    }
    if (o.json) {
      nlohmann::json segments = nlohmann::json::array();
      nlohmann::json tokens = nlohmann::json::array(), ids = nlohmann::json::array(),
                     stamps = nlohmann::json::array(), words = nlohmann::json::array();
      for (size_t i = 0; i < t.segments.size(); ++i) {
        const auto& s = t.segments[i];
        nlohmann::json js = result_json(s);
        js["end"] = t.segment_ends[i];
        for (const auto& v : js["tokens"]) tokens.push_back(v);
        for (const auto& v : js["token_ids"]) ids.push_back(v);
        for (const auto& v : js["timestamps"]) stamps.push_back(v);
        for (const auto& v : js["words"]) words.push_back(v);
        segments.push_back(std::move(js));
      }
      nlohmann::json j = {{"file", path},
                          {"text", text},
                          {"tokens", tokens},
                          {"token_ids", ids},
                          {"timestamps", stamps},
                          {"words", words},
                          {"segments", segments},
                          {"method", o.method},
                          {"model", model->describe()},
                          {"audio_seconds", t.audio_seconds},
                          {"compute_seconds", t.compute_seconds},
                          {"rtf", t.audio_seconds > 0 ? t.compute_seconds / t.audio_seconds : 0.0},
                          {"chunks", t.chunks}};
      std::printf("%s\n", j.dump().c_str());
    } else if (o.files.size() > 1) {
      std::printf("%s: %s\n", path.c_str(), text.c_str());
    } else {
      std::printf("%s\n", text.c_str());
    }
    std::fflush(stdout);
  }
}

}  // namespace

void add_transcribe_command(CLI::App& app) {
  auto o = std::make_shared<TranscribeOptions>();
  CLI::App* cmd = app.add_subcommand("transcribe", "Speech to text with a streaming transducer");
  cmd->add_option("--asr", o->model_dir,
                  "Model folder: encoder.onnx, decoder.onnx, joiner.onnx, tokens.txt (default: the installed default)");
  cmd->add_option("files", o->files, "Audio files (WAV, FLAC, Ogg, Opus, ...)")->required();
  cmd->add_option("--method", o->method, "greedy or beam (modified beam search, 4 paths)")
      ->capture_default_str();
  cmd->add_option("--hotwords", o->hotwords_path,
                  "Phrases to favour, one per line, optional ' :bonus' (beam only)");
  cmd->add_option("--vad", o->vad, "Feed only speech: 'energy' or a Silero VAD .onnx");
  cmd->add_flag("--json", o->json, "One JSON object per file");
  cmd->add_flag("--stream", o->stream, "Print partial results as they change");
  cmd->add_flag("--no-endpoint", o->no_endpoint, "Do not cut utterances at endpoints");
  cmd->add_option("--threads", o->threads, "Threads")->capture_default_str()->check(
      CLI::Range(1, 256));
  cmd->add_option("--chunk-ms", o->chunk_ms, "Audio fed per step, milliseconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->callback([o] { transcribe(*o); });
}

}  // namespace parley::assistant
