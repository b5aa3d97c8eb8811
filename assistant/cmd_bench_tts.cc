// parley bench tts --voice V TEXT: synthesis speed of a voice, one JSON line.
//   audio_seconds          audio produced for TEXT (shaped for speech first, outside the timing)
//   compute_seconds        wall time of one whole synthesize() call (median of --runs)
//   rtf                    compute_seconds / audio_seconds (< 1 = faster than real time)
//   first_audio_seconds    from the call to the first samples handed to the sink (median)
//   *_cpu_seconds          the same in process CPU time (medians), steadier on a shared machine
//   cold_*                 the same for the first call (page faults, arena growth, espeak start)
// A Piper voice runs one model call per sentence, so first audio comes after the first sentence;
// `sentences` counts them and --ids-json FILE writes their id sequences and scales (for running
// the same inputs through ONNX Runtime, see bench/tts_vs_ort.mjs).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "assistant/commands.h"
#include "kernels/cpu.h"
#include "kernels/error.h"
#include "tts/piper_voice.h"
#include "tts/text_shaping.h"
#include "tts/voice_factory.h"

namespace parley::assistant {
namespace {

using Clock = std::chrono::steady_clock;

struct TtsBenchOptions {
  std::string voice = "espeak:en-us";
  std::string voice_config;
  std::string text;
  int threads = 1;
  int runs = 3;
  std::optional<float> length_scale;
  std::optional<float> noise_scale;
  std::optional<float> noise_w;
  std::string ids_json_path;
  std::optional<int> first_chunk_frames;
};

struct Timing {
  double compute_seconds = 0;
  double first_audio_seconds = 0;
  double compute_cpu_seconds = 0;      // process CPU time: robust on a shared machine
  double first_audio_cpu_seconds = 0;
  size_t samples = 0;
};

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

Timing time_one(tts::Voice& voice, const std::string& text) {
  Timing timing;
  bool first = true;
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  voice.synthesize(text, [&](std::span<const float> samples) {
    if (first && !samples.empty()) {
      timing.first_audio_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      timing.first_audio_cpu_seconds = process_cpu_seconds() - cpu_start;
      first = false;
    }
    timing.samples += samples.size();
    return true;
  });
  timing.compute_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  timing.compute_cpu_seconds = process_cpu_seconds() - cpu_start;
  return timing;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void bench_tts(const TtsBenchOptions& o) {
  const std::string text = tts::shape_text_for_speech(o.text);
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); })) {
    throw Error("bench tts: nothing to say: the text is empty after shaping");
  }
  tts::VoiceOpenOptions voice_options;
  voice_options.config_path = o.voice_config;
  voice_options.length_scale = o.length_scale;
  voice_options.noise_scale = o.noise_scale;
  voice_options.noise_w = o.noise_w;
  voice_options.thread_count = o.threads;
  voice_options.first_chunk_frames = o.first_chunk_frames;
  const auto load_start = Clock::now();
  std::unique_ptr<tts::Voice> voice = tts::open_voice(o.voice, voice_options);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  auto* piper = dynamic_cast<tts::PiperVoice*>(voice.get());

  const Timing cold = time_one(*voice, text);
  if (cold.samples == 0) throw Error("bench tts: the voice produced no audio for the text");
  std::vector<double> compute, first_audio, compute_cpu, first_audio_cpu;
  for (int run = 0; run < o.runs; ++run) {
    const Timing timing = time_one(*voice, text);
    compute.push_back(timing.compute_seconds);
    first_audio.push_back(timing.first_audio_seconds);
    compute_cpu.push_back(timing.compute_cpu_seconds);
    first_audio_cpu.push_back(timing.first_audio_cpu_seconds);
  }
  const double audio_seconds = static_cast<double>(cold.samples) / voice->sample_rate_hz();
  const double compute_seconds = median(compute);

  nlohmann::json j;
  j["voice"] = o.voice;
  j["threads"] = o.threads;
  j["runs"] = o.runs;
  j["isa"] = std::string(kernels::isa_name(kernels::active_isa()));
  j["text_chars"] = text.size();
  j["sample_rate_hz"] = voice->sample_rate_hz();
  j["load_seconds"] = load_seconds;
  j["audio_seconds"] = audio_seconds;
  j["compute_seconds"] = compute_seconds;
  j["rtf"] = compute_seconds / audio_seconds;
  j["first_audio_seconds"] = median(first_audio);
  j["best_compute_seconds"] = *std::min_element(compute.begin(), compute.end());
  j["best_first_audio_seconds"] = *std::min_element(first_audio.begin(), first_audio.end());
  j["compute_cpu_seconds"] = median(compute_cpu);
  j["first_audio_cpu_seconds"] = median(first_audio_cpu);
  j["cold_compute_seconds"] = cold.compute_seconds;
  j["cold_first_audio_seconds"] = cold.first_audio_seconds;
  if (piper != nullptr) {
    const std::vector<std::vector<int64_t>> sentences = piper->sentence_ids(text);
    j["sentences"] = sentences.size();
    j["scales"] = {piper->noise_scale(), piper->length_scale(), piper->noise_w()};
    if (!o.ids_json_path.empty()) {
      nlohmann::json ids;
      ids["model"] = piper->options().model_path;
      ids["sentences"] = sentences;
      ids["scales"] = {piper->noise_scale(), piper->length_scale(), piper->noise_w()};
      ids["sid"] = piper->has_speaker_input() ? nlohmann::json(piper->speaker_id()) : nullptr;
      ids["sentence_silence_samples"] =
          static_cast<int64_t>(piper->sentence_silence_seconds() * piper->sample_rate_hz() + 0.5);
      std::ofstream file(o.ids_json_path);
      file << ids.dump() << "\n";
      if (!file) throw Error("bench tts: cannot write " + o.ids_json_path);
    }
  } else if (!o.ids_json_path.empty()) {
    throw Error("bench tts: --ids-json needs a Piper voice");
  }
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

void add_bench_tts_subcommand(CLI::App* bench) {
  auto o = std::make_shared<TtsBenchOptions>();
  CLI::App* cmd = bench->add_subcommand(
      "tts", "Audio seconds, compute seconds, RTF and time to first audio of a voice (one JSON line)");
  cmd->add_option("text", o->text, "Text to synthesize")->required();
  cmd->add_option("--voice", o->voice, "espeak:VOICE or a Piper FILE.onnx")->capture_default_str();
  cmd->add_option("--voice-config", o->voice_config, "Piper voice config (default FILE.onnx.json)");
  cmd->add_option("--threads", o->threads, "Threads for a Piper voice")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--runs", o->runs, "Timed runs after one cold run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--length-scale", o->length_scale, "Piper length scale");
  cmd->add_option("--noise-scale", o->noise_scale, "Piper noise scale");
  cmd->add_option("--noise-w", o->noise_w, "Piper duration noise");
  cmd->add_option("--first-chunk-frames", o->first_chunk_frames,
                  "Piper decoder streaming: latent frames in the first piece (0: whole sentences)");
  cmd->add_option("--ids-json", o->ids_json_path,
                  "Piper: write the per-sentence phoneme ids and scales to this JSON file");
  cmd->callback([o] { bench_tts(*o); });
}

}  // namespace parley::assistant
