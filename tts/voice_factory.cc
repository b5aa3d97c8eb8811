#include "tts/voice_factory.h"

#include <filesystem>

#include "kernels/error.h"
#include "tts/espeak_voice.h"
#include "tts/piper_voice.h"
#include "tts/voice_config.h"

namespace parley::tts {
namespace {

constexpr std::string_view kEspeakPrefix = "espeak";
constexpr int kEspeakDefaultRateWordsPerMinute = 175;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

void check_output_rate(int output_rate_hz) {
  if (output_rate_hz != 0 && (output_rate_hz < 8000 || output_rate_hz > 192000)) {
    throw Error("voice options: output_rate_hz = " + std::to_string(output_rate_hz) +
                " outside [8000, 192000]");
  }
}

void reject(bool present, const char* option, const char* voice_kind) {
  if (present) {
    throw Error(std::string("voice options: ") + option + " does not apply to " + voice_kind +
                " voices");
  }
}

std::unique_ptr<Voice> open_espeak(const std::string& name, const VoiceOpenOptions& options) {
  const char* kind = "espeak-ng";
  reject(!options.config_path.empty(), "a voice config", kind);
  reject(!options.speaker.empty(), "a speaker", kind);
  reject(options.length_scale.has_value(), "length_scale", kind);
  reject(options.noise_scale.has_value(), "noise_scale", kind);
  reject(options.noise_w.has_value(), "noise_w", kind);
  reject(options.sentence_silence_seconds.has_value(), "sentence_silence_seconds", kind);
  EspeakVoiceOptions espeak;
  espeak.voice_name = name;
  espeak.rate_words_per_minute =
      options.rate_words_per_minute.value_or(kEspeakDefaultRateWordsPerMinute);
  if (options.pitch) espeak.pitch = *options.pitch;
  espeak.output_rate_hz = options.output_rate_hz;  // EspeakVoice resamples as it streams
  return std::make_unique<EspeakVoice>(espeak);
}

std::unique_ptr<Voice> open_piper(const std::string& path, const VoiceOpenOptions& options) {
  reject(options.pitch.has_value(), "pitch", "Piper");
  if (options.rate_words_per_minute && options.length_scale) {
    throw Error("voice options: give rate_words_per_minute or length_scale, not both");
  }
  PiperVoiceOptions piper;
  piper.model_path = path;
  piper.config_path = options.config_path;
  piper.speaker = options.speaker;
  piper.length_scale = options.length_scale;
  piper.noise_scale = options.noise_scale;
  piper.noise_w = options.noise_w;
  piper.sentence_silence_seconds = options.sentence_silence_seconds;
  piper.thread_count = options.thread_count;
  if (options.first_chunk_frames) piper.first_chunk_frames = *options.first_chunk_frames;
  if (options.rate_words_per_minute) {
    const int rate = *options.rate_words_per_minute;
    if (rate < 80 || rate > 450) {
      throw Error("voice options: rate_words_per_minute = " + std::to_string(rate) +
                  " outside [80, 450]");
    }
    // The config's own pace is 175 wpm: scale its length_scale (Piper's default when absent).
    const std::string config_path =
        piper.config_path.empty() ? default_piper_config_path(path) : piper.config_path;
    const float config_length_scale =
        std::filesystem::is_regular_file(config_path) ? load_voice_config(config_path).length_scale
                                                      : 1.0f;  // PiperVoice reports the absence
    piper.length_scale = config_length_scale *
                         static_cast<float>(kEspeakDefaultRateWordsPerMinute) /
                         static_cast<float>(rate);
  }
  return std::make_unique<PiperVoice>(piper, options.pool);
}

int checked_inner_rate(const std::unique_ptr<Voice>& inner) {
  if (inner == nullptr) throw Error("ResamplingVoice: null voice");
  return inner->sample_rate_hz();
}

}  // namespace

VoiceSpec parse_voice_spec(std::string_view spec) {
  if (spec.empty()) throw Error("voice: empty voice spec (use espeak:VOICE or PATH.onnx)");
  if (spec == kEspeakPrefix) return {VoiceKind::kEspeak, "en-us"};
  if (spec.substr(0, kEspeakPrefix.size() + 1) == "espeak:") {
    std::string name(spec.substr(kEspeakPrefix.size() + 1));
    if (name.empty()) throw Error("voice 'espeak:': no espeak-ng voice after the colon");
    return {VoiceKind::kEspeak, name};
  }
  if (!ends_with(spec, ".onnx")) {
    throw Error("voice '" + std::string(spec) +
                "': not a voice spec (use espeak:VOICE, e.g. espeak:en-us, or a Piper "
                "voice PATH.onnx)");
  }
  return {VoiceKind::kPiper, std::string(spec)};
}

std::unique_ptr<Voice> open_voice(std::string_view spec, const VoiceOpenOptions& options) {
  check_output_rate(options.output_rate_hz);
  const VoiceSpec parsed = parse_voice_spec(spec);
  if (parsed.kind == VoiceKind::kEspeak) return open_espeak(parsed.name, options);
  std::unique_ptr<Voice> voice = open_piper(parsed.name, options);
  if (options.output_rate_hz != 0 && options.output_rate_hz != voice->sample_rate_hz()) {
    return std::make_unique<ResamplingVoice>(std::move(voice), options.output_rate_hz);
  }
  return voice;
}

ResamplingVoice::ResamplingVoice(std::unique_ptr<Voice> inner, int output_rate_hz)
    : inner_(std::move(inner)),
      output_rate_hz_(output_rate_hz),
      resampler_(checked_inner_rate(inner_), output_rate_hz, 1) {
  if (output_rate_hz < 8000 || output_rate_hz > 192000) {
    throw Error("ResamplingVoice: output_rate_hz = " + std::to_string(output_rate_hz) +
                " outside [8000, 192000]");
  }
}

bool ResamplingVoice::synthesize(std::string_view text, const AudioSink& sink) {
  resampler_.reset();
  bool cancelled = false;
  const bool completed = inner_->synthesize(text, [&](std::span<const float> input) {
    while (!input.empty()) {
      const size_t need = resampler_.max_output_frames(input.size());
      if (resampled_.size() < need) resampled_.resize(need);
      const audio::Resampler::Progress progress = resampler_.process(input, resampled_);
      if (progress.output_frames_produced > 0 &&
          !sink(std::span<const float>(resampled_.data(), progress.output_frames_produced))) {
        cancelled = true;
        return false;
      }
      input = input.subspan(progress.input_frames_consumed);
      if (progress.input_frames_consumed == 0 && progress.output_frames_produced == 0) break;
    }
    return true;
  });
  if (!completed || cancelled) return false;
  if (resampled_.size() < 4096) resampled_.resize(4096);
  while (const size_t frames = resampler_.drain(resampled_)) {
    if (!sink(std::span<const float>(resampled_.data(), frames))) return false;
  }
  return true;
}

}  // namespace parley::tts
