// EspeakVoice — espeak-ng's own formant synthesizer: the voice that needs no model file, and the
// default until a neural voice is configured.
//
// Contracts
//   * Native output is 22050 Hz; with `output_rate_hz` set, audio is resampled through
//     audio::Resampler (streaming, so chunks still arrive as espeak produces them).
//   * libespeak-ng is a process-wide, non-thread-safe library: synthesize() holds the espeak lock
//     (see espeak_library.h) for the whole call, so concurrent calls from several threads are
//     serialised, and the sink must not call back into the phonemizer or another espeak voice.
//   * Options are validated at construction (parley::Error names the field).
//
// Usage
//   parley::tts::EspeakVoice voice({.voice_name = "en-us+f3", .rate_words_per_minute = 190,
//                                   .output_rate_hz = 48000});
//   std::vector<float> pcm_48k = parley::tts::synthesize_to_vector(voice, "Timer set.");
#pragma once

#include <string>

#include "tts/voice.h"

namespace parley::tts {

struct EspeakVoiceOptions {
  std::string voice_name = "en-us";  // espeak-ng voice, optionally with a variant: "en-us+f3"
  int rate_words_per_minute = 175;   // espeak-ng accepts 80..450
  int pitch = 50;                    // base pitch, 0..100
  int pitch_range = 50;              // intonation range, 0..100 (0 = monotone)
  int output_rate_hz = 0;            // 0 = native 22050 Hz, else resampled (8000..192000)
  bool end_pause = true;             // espeak's pause after the last clause

  // Throws parley::Error naming the first invalid field.
  void validate() const;
};

class EspeakVoice final : public Voice {
 public:
  // Throws parley::Error for invalid options, an unknown voice, or if espeak-ng cannot start.
  explicit EspeakVoice(EspeakVoiceOptions options = {});

  int sample_rate_hz() const override;
  bool synthesize(std::string_view text, const AudioSink& sink) override;

  const EspeakVoiceOptions& options() const { return options_; }
  static constexpr int kNativeRateHz = 22050;

 private:
  EspeakVoiceOptions options_;
};

}  // namespace parley::tts
