// parley vad --vad MODEL|energy FILE... [--json] [--threshold T] [--min-speech S]
//            [--min-silence S] [--max-speech S] [--pad S] [--sherpa-rules] [--probabilities]
// Speech segments of each file as "start end" lines in seconds (with --json one object per file:
// segments as [start, end], the detector, the settings, timing). Any file libsndfile or Ogg Opus
// reads; mixed to mono and resampled to the detector's rate (16 kHz) through audio/.
// --probabilities prints each window's time and speech probability instead (the format of the
// ONNX Runtime references in ../shared/testdata/vad/ref_ort).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "asr/speech_segmenter.h"
#include "asr/vad_factory.h"
#include "assistant/commands.h"
#include "audio/opus_codec.h"
#include "audio/resampler.h"
#include "audio/sound_file.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

struct VadCommandOptions {
  std::string vad;
  std::vector<std::string> files;
  asr::SegmenterConfig segmenter;
  bool json = false;
  bool probabilities = false;
};

// Mono samples of `path` at `rate_hz`.
std::vector<float> read_mono_at(const std::string& path, int rate_hz) {
  audio::SoundBuffer sound = audio::is_opus_file(path)
                                 ? audio::read_opus_file(path)
                                 : audio::read_sound_file(path, {.mix_to_mono = true});
  if (sound.sample_rate_hz <= 0 || sound.channel_count <= 0) {
    throw Error(path + ": no sample rate or channels");
  }
  if (sound.channel_count > 1) {
    sound.samples = audio::mix_down_to_mono(sound.samples, sound.channel_count);
  }
  if (sound.sample_rate_hz == rate_hz) return std::move(sound.samples);
  return audio::resample(sound.samples, sound.sample_rate_hz, rate_hz, 1);
}

// Settings are floats: print 0.03 rather than 0.029999999329447746.
double rounded(float value) {
  return std::round(static_cast<double>(value) * 1e6) / 1e6;
}

void print_probabilities(asr::VoiceActivityDetector& vad, const std::vector<float>& samples) {
  const size_t n = vad.window_samples();
  for (size_t pos = 0; pos + n <= samples.size(); pos += n) {
    const float p = vad.speech_probability(std::span(samples).subspan(pos, n));
    std::printf("%.3f %.6f\n", static_cast<double>(pos) / vad.sample_rate_hz(), p);
  }
}

void run_vad(const VadCommandOptions& o) {
  o.segmenter.validate();
  std::unique_ptr<asr::VoiceActivityDetector> vad = asr::open_vad(o.vad);
  const int rate = vad->sample_rate_hz();
  for (const std::string& path : o.files) {
    const std::vector<float> samples = read_mono_at(path, rate);
    vad->reset();
    if (o.probabilities) {
      print_probabilities(*vad, samples);
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    const std::vector<asr::SpeechSegment> segments =
        asr::segment_speech(*vad, samples, o.segmenter);
    const double compute_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double audio_seconds = static_cast<double>(samples.size()) / rate;
    if (o.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const asr::SpeechSegment& s : segments) {
        list.push_back(
            {static_cast<double>(s.start_sample) / rate, static_cast<double>(s.end_sample) / rate});
      }
      nlohmann::json j = {{"file", path},
                          {"vad", vad->name()},
                          {"sample_rate_hz", rate},
                          {"audio_seconds", audio_seconds},
                          {"threshold", rounded(o.segmenter.threshold)},
                          {"min_speech_seconds", rounded(o.segmenter.min_speech_seconds)},
                          {"min_silence_seconds", rounded(o.segmenter.min_silence_seconds)},
                          {"max_speech_seconds", rounded(o.segmenter.max_speech_seconds)},
                          {"speech_pad_seconds", rounded(o.segmenter.speech_pad_seconds)},
                          {"sherpa_onnx_rules", o.segmenter.sherpa_onnx_rules},
                          {"segments", list},
                          {"compute_seconds", compute_seconds},
                          {"rtf", audio_seconds > 0 ? compute_seconds / audio_seconds : 0.0}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      if (o.files.size() > 1) std::printf("%s\n", path.c_str());
      for (const asr::SpeechSegment& s : segments) {
        std::printf("%.3f %.3f\n", static_cast<double>(s.start_sample) / rate,
                    static_cast<double>(s.end_sample) / rate);
      }
    }
  }
}

}  // namespace

void add_vad_command(CLI::App& app) {
  auto options = std::make_shared<VadCommandOptions>();
  CLI::App* cmd =
      app.add_subcommand("vad", "speech segments of audio files ([start, end] in seconds)");
  cmd->add_option("--vad", options->vad, "\"energy\" or a Silero VAD .onnx model (v4/v5/v6)")
      ->required();
  cmd->add_option("files", options->files, "audio files (anything libsndfile or Ogg Opus reads)")
      ->required();
  asr::SegmenterConfig& s = options->segmenter;
  cmd->add_option("--threshold", s.threshold, "P(speech) at or above which a window is speech")
      ->capture_default_str();
  cmd->add_option("--release-threshold", s.release_threshold,
                  "below this a window counts as silence inside a segment")
      ->capture_default_str();
  cmd->add_option("--min-speech", s.min_speech_seconds, "shortest speech segment, seconds")
      ->capture_default_str();
  cmd->add_option("--min-silence", s.min_silence_seconds, "silence that ends a segment, seconds")
      ->capture_default_str();
  cmd->add_option("--max-speech", s.max_speech_seconds, "longer segments are cut, seconds")
      ->capture_default_str();
  cmd->add_option("--pad", s.speech_pad_seconds, "padding added to both ends, seconds")
      ->capture_default_str();
  cmd->add_flag("--sherpa-rules", s.sherpa_onnx_rules,
                "count speech and silence as sherpa-onnx / Silero do (see speech_segmenter.h)");
  cmd->add_flag("--json", options->json, "one JSON object per file");
  cmd->add_flag("--probabilities", options->probabilities,
                "print each window's time and speech probability instead of segments");
  cmd->callback([options] { run_vad(*options); });
}

}  // namespace parley::assistant
