#include "asr/endpoint.h"

#include <cmath>
#include <sstream>

#include "kernels/error.h"

namespace parley::asr {
namespace {

int64_t to_microseconds(double seconds) noexcept {
  return seconds > 0 ? static_cast<int64_t>(std::llround(seconds * 1e6)) : 0;
}

void check_seconds(float value, const std::string& field) {
  if (!std::isfinite(value) || value < 0.0f || value > 86400.0f) {
    throw Error("EndpointConfig." + field + ": " + std::to_string(value) +
                " is not a duration in [0, 86400] seconds");
  }
}

}  // namespace

void EndpointRule::validate(const std::string& rule_name) const {
  check_seconds(min_trailing_silence_seconds, rule_name + ".min_trailing_silence_seconds");
  check_seconds(min_utterance_seconds, rule_name + ".min_utterance_seconds");
  if (min_trailing_silence_seconds == 0.0f && min_utterance_seconds == 0.0f) {
    throw Error("EndpointConfig." + rule_name +
                ": min_trailing_silence_seconds and min_utterance_seconds are both 0, so the "
                "rule would fire on every frame");
  }
}

std::string EndpointRule::to_string() const {
  std::ostringstream out;
  out << "EndpointRule(must_contain_nonsilence=" << (must_contain_nonsilence ? "true" : "false")
      << ", min_trailing_silence_seconds=" << min_trailing_silence_seconds
      << ", min_utterance_seconds=" << min_utterance_seconds << ")";
  return out.str();
}

void EndpointConfig::validate() const {
  rule1.validate("rule1");
  rule2.validate("rule2");
  rule3.validate("rule3");
  check_seconds(vad.min_trailing_silence_seconds, "vad.min_trailing_silence_seconds");
  if (vad.enabled && vad.min_trailing_silence_seconds == 0.0f) {
    throw Error("EndpointConfig.vad.min_trailing_silence_seconds: must be > 0 when enabled");
  }
}

std::string EndpointConfig::to_string() const {
  std::ostringstream out;
  out << "EndpointConfig(rule1=" << rule1.to_string() << ", rule2=" << rule2.to_string()
      << ", rule3=" << rule3.to_string()
      << ", vad=VadEndpointRule(enabled=" << (vad.enabled ? "true" : "false")
      << ", min_trailing_silence_seconds=" << vad.min_trailing_silence_seconds << "))";
  return out.str();
}

const char* endpoint_reason_name(EndpointReason reason) {
  switch (reason) {
    case EndpointReason::kNone:
      return "none";
    case EndpointReason::kRule1:
      return "rule1 (trailing silence, nothing decoded)";
    case EndpointReason::kRule2:
      return "rule2 (trailing silence after speech)";
    case EndpointReason::kRule3:
      return "rule3 (maximum utterance length)";
    case EndpointReason::kVad:
      return "vad (trailing silence heard by the VAD)";
  }
  return "unknown";
}

EndpointDetector::EndpointDetector(const EndpointConfig& config) : config_(config) {
  config_.validate();
}

void EndpointDetector::accept_decoder_frames(double seconds, bool emitted_token) noexcept {
  const int64_t us = to_microseconds(seconds);
  utterance_us_ += us;
  if (emitted_token) {
    decoded_something_ = true;
    trailing_silence_us_ = 0;
  } else {
    trailing_silence_us_ += us;
  }
}

void EndpointDetector::accept_vad(double seconds, bool is_speech) noexcept {
  if (is_speech) {
    vad_heard_speech_ = true;
    vad_trailing_silence_us_ = 0;
  } else {
    vad_trailing_silence_us_ += to_microseconds(seconds);
  }
}

bool EndpointDetector::rule_fires(const EndpointRule& rule) const noexcept {
  return (decoded_something_ || !rule.must_contain_nonsilence) &&
         trailing_silence_us_ >= to_microseconds(rule.min_trailing_silence_seconds) &&
         utterance_us_ >= to_microseconds(rule.min_utterance_seconds);
}

EndpointReason EndpointDetector::reason() const noexcept {
  if (rule_fires(config_.rule1)) return EndpointReason::kRule1;
  if (rule_fires(config_.rule2)) return EndpointReason::kRule2;
  if (rule_fires(config_.rule3)) return EndpointReason::kRule3;
  if (config_.vad.enabled && vad_heard_speech_ &&
      vad_trailing_silence_us_ >= to_microseconds(config_.vad.min_trailing_silence_seconds)) {
    return EndpointReason::kVad;
  }
  return EndpointReason::kNone;
}

void EndpointDetector::reset() noexcept {
  utterance_us_ = 0;
  trailing_silence_us_ = 0;
  decoded_something_ = false;
  vad_heard_speech_ = false;
  vad_trailing_silence_us_ = 0;
}

}  // namespace parley::asr
