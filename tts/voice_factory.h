// open_voice — one entry point from a voice spec to a ready Voice, and ResamplingVoice, which
// delivers any voice's audio at a requested rate (the device's, or a file's).
//
// Specs
//   "espeak" or "espeak:VOICE"   espeak-ng's own synthesizer (EspeakVoice), VOICE as espeak-ng
//                                names it, with an optional variant: "espeak:en-us+f3".
//   "PATH.onnx"                  a Piper voice (PiperVoice); its config is PATH.onnx.json unless
//                                VoiceOpenOptions::config_path says otherwise.
// Options apply to the voice kinds that have them; an option the chosen voice does not have
// (pitch for Piper, a speaker for espeak-ng, ...) is an error naming it, never silently ignored.
// rate_words_per_minute is espeak-ng's words per minute; for a Piper voice it scales the
// config's length_scale by 175 / rate (175 wpm = espeak-ng's default = the voice's own pace),
// and may not be combined with length_scale.
//
// Errors: parley::Error for an unknown spec, a missing file or config, or an invalid option.
//
// Usage
//   auto voice = parley::tts::open_voice("voices/en_US-lessac-medium.onnx",
//                                        {.length_scale = 1.1f, .output_rate_hz = 48000});
//   voice->synthesize("Done.", sink);                       // 48 kHz chunks, streamed
//   auto fallback = parley::tts::open_voice("espeak:en-us", {.rate_words_per_minute = 190});
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audio/resampler.h"
#include "tts/voice.h"

namespace parley::kernels {
class ThreadPool;
}

namespace parley::tts {

struct VoiceOpenOptions {
  // Both kinds.
  std::optional<int> rate_words_per_minute = {};  // espeak-ng 80..450; Piper: see above
  int output_rate_hz = 0;                    // 0 = the voice's native rate, else 8000..192000
  // espeak-ng only.
  std::optional<int> pitch = {};  // 0..100
  // Piper only.
  std::string config_path = {};  // "" = MODEL.onnx.json
  std::string speaker = {};      // name or id; "" = speaker 0
  std::optional<float> length_scale = {};
  std::optional<float> noise_scale = {};
  std::optional<float> noise_w = {};
  std::optional<float> sentence_silence_seconds = {};
  int thread_count = 1;                  // threads of the voice's own pool (when pool is null)
  std::optional<int> first_chunk_frames = {};  // Piper decoder streaming (PiperVoiceOptions); unset: default
  kernels::ThreadPool* pool = nullptr;   // shared pool; must outlive the voice
};

enum class VoiceKind { kEspeak, kPiper };

struct VoiceSpec {
  VoiceKind kind = VoiceKind::kEspeak;
  std::string name;  // espeak-ng voice name, or the Piper model path
};

// Parses a spec (see above) without opening anything. Throws parley::Error for an empty spec,
// "espeak:" with no voice, or a path that does not end in ".onnx".
VoiceSpec parse_voice_spec(std::string_view spec);

// Opens the voice; wraps it in a ResamplingVoice when output_rate_hz differs from its rate.
std::unique_ptr<Voice> open_voice(std::string_view spec, const VoiceOpenOptions& options = {});

// Any voice at another rate: every chunk the inner voice produces is resampled (streaming,
// audio::Resampler kHigh) and passed on at once; the filter tail is flushed at the end of each
// synthesize() call, so each call's output is round(native_samples * out / in) samples long.
// Thread safety and cancellation are the inner voice's.
class ResamplingVoice final : public Voice {
 public:
  // Throws parley::Error for a null voice or an output rate outside 8000..192000.
  ResamplingVoice(std::unique_ptr<Voice> inner, int output_rate_hz);

  int sample_rate_hz() const override { return output_rate_hz_; }
  bool synthesize(std::string_view text, const AudioSink& sink) override;

  Voice& inner() { return *inner_; }

 private:
  std::unique_ptr<Voice> inner_;
  int output_rate_hz_;
  audio::Resampler resampler_;
  std::vector<float> resampled_;
};

}  // namespace parley::tts
