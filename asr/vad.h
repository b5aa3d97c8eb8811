// VoiceActivityDetector — the one interface behind which every voice activity detector sits:
// Silero v4/v5/v6 (ONNX, on kernels/onnx; to come) and the energy detector (energy_vad.h). The
// segmenter (speech_segmenter.h) turns its per-window probabilities into speech segments and
// onsets.
//
// Contracts
//   * A detector consumes consecutive windows of exactly window_samples() mono samples in
//     [-1, 1] at sample_rate_hz() and returns the probability that the window is speech, in
//     [0, 1]. It may keep state across windows (Silero's recurrent state, the energy detector's
//     noise floor); reset() forgets it before an unrelated stream.
//   * speech_probability() never allocates, throws or blocks (it runs once per 32 ms on the
//     capture path). Detectors are not thread-safe: one per stream.
//
// Usage
//   std::unique_ptr<parley::asr::VoiceActivityDetector> vad =
//       std::make_unique<parley::asr::EnergyVad>();
//   float p = vad->speech_probability(std::span(window).first(vad->window_samples()));
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace parley::asr {

class VoiceActivityDetector {
 public:
  virtual ~VoiceActivityDetector() = default;

  virtual int sample_rate_hz() const = 0;
  virtual size_t window_samples() const = 0;
  // Short description for logs and errors, e.g. "energy" or "silero v5 (model.onnx)".
  virtual std::string name() const = 0;

  // window.size() == window_samples(); returns P(speech) in [0, 1].
  virtual float speech_probability(std::span<const float> window) noexcept = 0;
  virtual void reset() noexcept = 0;

  double window_seconds() const { return static_cast<double>(window_samples()) / sample_rate_hz(); }
};

}  // namespace parley::asr
