// Voice — the one interface every synthesizer implements (espeak-ng now, Piper VITS next).
//
// Contracts
//   * synthesize() speaks already shaped text (see text_shaping.h) and hands mono float PCM in
//     [-1, 1] at sample_rate_hz() to `sink` chunk by chunk as it is produced, so playback can
//     start before the text is finished. The span is only valid during the call.
//   * `sink` returns false to cancel: synthesis stops before the next chunk and synthesize()
//     returns false. It returns true when all audio was delivered.
//   * A Voice is immutable configuration plus per-call state; implementations state their own
//     thread safety.
//
// Usage
//   parley::tts::EspeakVoice voice({.voice_name = "en-us"});
//   voice.synthesize("Hello there.", [&](std::span<const float> samples) {
//     return playback_ring.try_write(samples) == samples.size();   // false cancels
//   });
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace parley::tts {

using AudioSink = std::function<bool(std::span<const float> samples)>;

class Voice {
 public:
  virtual ~Voice() = default;
  // Rate of the samples handed to the sink.
  virtual int sample_rate_hz() const = 0;
  // See the contract above.
  virtual bool synthesize(std::string_view text, const AudioSink& sink) = 0;
};

// Convenience: all of `text` as one vector.
std::vector<float> synthesize_to_vector(Voice& voice, std::string_view text);

}  // namespace parley::tts
