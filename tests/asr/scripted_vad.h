// A fake VAD for the segmenter tests: the speech probability of each window is the window's first
// sample, so a test scripts probabilities as audio with script().
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "asr/vad.h"

namespace parley::asr::testing {

template <size_t kWindow>
class ScriptedVad final : public VoiceActivityDetector {
 public:
  int sample_rate_hz() const override { return 16000; }
  size_t window_samples() const override { return kWindow; }
  std::string name() const override { return "scripted"; }
  float speech_probability(std::span<const float> window) noexcept override { return window[0]; }
  void reset() noexcept override {}
};

// Audio for ScriptedVad<kWindow>: each (probability, windows) run.
template <size_t kWindow>
std::vector<float> script(std::initializer_list<std::pair<float, int>> runs) {
  std::vector<float> samples;
  for (auto [p, windows] : runs) samples.insert(samples.end(), static_cast<size_t>(windows) * kWindow, p);
  return samples;
}

}  // namespace parley::asr::testing
