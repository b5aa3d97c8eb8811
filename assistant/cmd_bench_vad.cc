// parley bench vad --vad MODEL FILE [--passes N]
//
// Milliseconds per window (512 samples at 16 kHz) of a Silero VAD on Parley's ONNX executor,
// 1 thread, over a whole file: one untimed warm-up window, then `passes` passes (each from a
// reset state). Prints one JSON line: windows, ms_per_window_best / _mean, probability_sum (a
// checksum: the same number from onnxruntime in bench/vad_ort_reference.js means the same work),
// errors. bench/vad_vs_ort.sh runs it side by side with onnxruntime-node.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "asr/silero_vad.h"
#include "assistant/commands.h"
#include "audio/sound_file.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

struct BenchVadOptions {
  std::string model_path;
  std::string file;
  int passes = 3;
};

void bench_vad(const BenchVadOptions& o) {
  const audio::SoundBuffer sound = audio::read_sound_file(o.file, {.mix_to_mono = true});
  if (sound.sample_rate_hz != 16000) {
    throw Error(o.file + ": bench vad needs 16 kHz audio, got " +
                std::to_string(sound.sample_rate_hz) + " Hz");
  }
  asr::SileroVad vad(asr::SileroVadModel::load(o.model_path));
  const size_t n = vad.window_samples();
  const size_t windows = sound.samples.size() / n;
  if (windows == 0) throw Error(o.file + ": shorter than one VAD window");
  const std::span<const float> samples(sound.samples);
  vad.speech_probability(samples.first(n));  // warm-up
  double best_ms = 1e30, total_ms = 0, probability_sum = 0;
  for (int pass = 0; pass < o.passes; ++pass) {
    vad.reset();
    double sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (size_t w = 0; w < windows; ++w) sum += vad.speech_probability(samples.subspan(w * n, n));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count() /
        windows;
    best_ms = std::min(best_ms, ms);
    total_ms += ms;
    probability_sum = sum;
  }
  nlohmann::json j = {{"runtime", "parley"},
                      {"model", o.model_path.substr(o.model_path.find_last_of('/') + 1)},
                      {"vad", vad.name()},
                      {"windows", windows},
                      {"threads", 1},
                      {"ms_per_window_best", best_ms},
                      {"ms_per_window_mean", total_ms / o.passes},
                      {"probability_sum", probability_sum},
                      {"errors", vad.error_count()}};
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

void add_bench_vad_subcommand(CLI::App* bench) {
  auto o = std::make_shared<BenchVadOptions>();
  CLI::App* cmd = bench->add_subcommand(
      "vad", "Milliseconds per 512-sample window of a Silero VAD, 1 thread (one JSON line)");
  cmd->add_option("--vad", o->model_path, "Silero VAD .onnx model")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("file", o->file, "16 kHz audio file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--passes", o->passes, "Timed passes over the file; best and mean reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([o] { bench_vad(*o); });
}

}  // namespace parley::assistant
