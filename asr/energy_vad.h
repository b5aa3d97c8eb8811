// EnergyVad — a cheap voice activity detector that needs no model: the fallback when no Silero
// model is installed, and a baseline in tests.
//
// How it decides
//   Each window's level L = 10 log10(mean(x^2)) dBFS is compared with a speech threshold
//     T = max(noise floor + margin_db, min_speech_dbfs),
//   and P(speech) = 1 / (1 + exp(-(L - T) / slope_db)). The noise floor is the lowest window level
//   of the last noise_window_seconds (never below min_noise_floor_dbfs), so a steady background
//   (fan, hum) is learned within that time. Speech that starts the stream before any quieter
//   window has been heard is only detected against min_speech_dbfs; pauses between words give the
//   floor its measurement. Conversely, a sound that never pauses for noise_window_seconds becomes
//   the floor (the price of needing no model; Silero does not have this weakness).
//
// Contracts: see vad.h. Construction validates the config (parley::Error naming the field).
//
// Usage
//   parley::asr::EnergyVad vad({.margin_db = 12});
//   float p = vad.speech_probability(window_512);   // 512 samples at 16 kHz
#pragma once

#include <string>
#include <vector>

#include "asr/vad.h"

namespace parley::asr {

struct EnergyVadConfig {
  int sample_rate_hz = 16000;
  float window_ms = 32.0f;              // 512 samples at 16 kHz, Silero's window
  float margin_db = 10.0f;              // speech is this much louder than the noise floor
  float min_speech_dbfs = -50.0f;       // nothing quieter is speech, however quiet the room
  float min_noise_floor_dbfs = -80.0f;  // floor estimate never goes below this
  float slope_db = 2.0f;                // softness of the probability around the threshold
  float noise_window_seconds = 3.0f;    // history over which the floor is the minimum level

  void validate() const;  // throws parley::Error "EnergyVadConfig.<field>: ..."
  std::string to_string() const;
  size_t window_samples() const;
};

class EnergyVad final : public VoiceActivityDetector {
 public:
  explicit EnergyVad(const EnergyVadConfig& config = {});

  int sample_rate_hz() const override { return config_.sample_rate_hz; }
  size_t window_samples() const override { return window_samples_; }
  std::string name() const override { return "energy"; }
  float speech_probability(std::span<const float> window) noexcept override;
  void reset() noexcept override;

  // Level of the last window and the current floor estimate, for diagnostics.
  float last_level_dbfs() const { return last_level_dbfs_; }
  float noise_floor_dbfs() const;

 private:
  EnergyVadConfig config_;
  size_t window_samples_ = 0;
  std::vector<float> history_dbfs_;  // ring of the last levels
  size_t history_next_ = 0;
  size_t history_count_ = 0;
  float last_level_dbfs_ = -200.0f;
};

}  // namespace parley::asr
