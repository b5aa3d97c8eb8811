#include "asr/energy_vad.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <sstream>

#include "kernels/error.h"

namespace parley::asr {
namespace {

void check(bool ok, const char* field, float value, const char* what) {
  if (!ok) {
    throw Error(std::string("EnergyVadConfig.") + field + ": " + std::to_string(value) + " " +
                what);
  }
}

}  // namespace

size_t EnergyVadConfig::window_samples() const {
  return static_cast<size_t>(std::lround(sample_rate_hz * 0.001 * window_ms));
}

void EnergyVadConfig::validate() const {
  check(sample_rate_hz >= 1000 && sample_rate_hz <= 384000, "sample_rate_hz",
        static_cast<float>(sample_rate_hz), "is outside [1000, 384000]");
  check(window_ms >= 1.0f && window_ms <= 1000.0f, "window_ms", window_ms, "is outside [1, 1000]");
  check(margin_db >= 0.0f && margin_db <= 60.0f, "margin_db", margin_db, "is outside [0, 60]");
  check(min_speech_dbfs >= -120.0f && min_speech_dbfs <= 0.0f, "min_speech_dbfs", min_speech_dbfs,
        "is outside [-120, 0]");
  check(min_noise_floor_dbfs >= -150.0f && min_noise_floor_dbfs <= 0.0f, "min_noise_floor_dbfs",
        min_noise_floor_dbfs, "is outside [-150, 0]");
  check(slope_db >= 0.1f && slope_db <= 30.0f, "slope_db", slope_db, "is outside [0.1, 30]");
  check(noise_window_seconds >= window_ms * 0.001f && noise_window_seconds <= 600.0f,
        "noise_window_seconds", noise_window_seconds, "is outside [window_ms / 1000, 600]");
}

std::string EnergyVadConfig::to_string() const {
  std::ostringstream out;
  out << "EnergyVadConfig(sample_rate_hz=" << sample_rate_hz << ", window_ms=" << window_ms
      << ", margin_db=" << margin_db << ", min_speech_dbfs=" << min_speech_dbfs
      << ", min_noise_floor_dbfs=" << min_noise_floor_dbfs << ", slope_db=" << slope_db
      << ", noise_window_seconds=" << noise_window_seconds << ")";
  return out.str();
}

EnergyVad::EnergyVad(const EnergyVadConfig& config) : config_(config) {
  config_.validate();
  window_samples_ = config_.window_samples();
  const auto history =
      static_cast<size_t>(std::ceil(config_.noise_window_seconds * 1000.0f / config_.window_ms));
  history_dbfs_.assign(std::max<size_t>(history, 1), 0.0f);
}

float EnergyVad::noise_floor_dbfs() const {
  if (history_count_ == 0) return config_.min_noise_floor_dbfs;
  const float lowest = *std::min_element(
      history_dbfs_.begin(), history_dbfs_.begin() + static_cast<std::ptrdiff_t>(history_count_));
  return std::max(lowest, config_.min_noise_floor_dbfs);
}

float EnergyVad::speech_probability(std::span<const float> window) noexcept {
  assert(window.size() == window_samples_);
  double sum_squares = 0.0;
  for (float x : window) sum_squares += static_cast<double>(x) * x;
  const double mean_square = sum_squares / static_cast<double>(std::max<size_t>(window.size(), 1));
  last_level_dbfs_ = static_cast<float>(10.0 * std::log10(mean_square + 1e-20));

  history_dbfs_[history_next_] = last_level_dbfs_;
  history_next_ = (history_next_ + 1) % history_dbfs_.size();
  history_count_ = std::min(history_count_ + 1, history_dbfs_.size());

  const float threshold = std::max(noise_floor_dbfs() + config_.margin_db, config_.min_speech_dbfs);
  const float z = (last_level_dbfs_ - threshold) / config_.slope_db;
  return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(z))));
}

void EnergyVad::reset() noexcept {
  history_next_ = 0;
  history_count_ = 0;
  last_level_dbfs_ = -200.0f;
}

}  // namespace parley::asr
