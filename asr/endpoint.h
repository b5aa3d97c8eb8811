// Endpoint detection — decides when the speaker has finished an utterance, by sherpa-onnx's three
// rules on the decoder's output plus a faster rule driven by the VAD.
//
// Rules (defaults as in sherpa-onnx's endpoint.h; every number is configurable)
//   rule1: trailing silence >= 2.4 s, nothing required before it. In practice it ends utterances
//          in which nothing was decoded, because with a decoded token rule2 fires first.
//   rule2: trailing silence >= 1.2 s after at least one decoded token.
//   rule3: utterance length >= 20 s, whatever was decoded (min_trailing_silence 0).
//   A rule fires when (token decoded || !must_contain_nonsilence) && trailing silence >=
//   min_trailing_silence_seconds && utterance length >= min_utterance_seconds — sherpa-onnx's
//   RuleActivated(). "Trailing silence" is decoder time since the last emitted token (blank
//   frames), "utterance length" is decoder time since the last reset().
//   vad rule: the VAD heard speech in this utterance and has heard silence for >= 0.6 s since.
//          Reacts to the audio instead of the transcript, for faster turn-taking.
//
// Contracts
//   * Durations are accumulated as whole microseconds, so 30 frames of 40 ms are exactly 1.2 s.
//   * After an endpoint, the owner calls reset() and keeps feeding the same detector: nothing of
//     the previous utterance carries over.
//   * accept_*() and is_endpoint() never allocate or throw. Not thread-safe: one per stream.
//
// Usage
//   parley::asr::EndpointDetector endpoint;               // sherpa-onnx defaults + VAD 0.6 s
//   endpoint.accept_decoder_frames(0.04, emitted_token);  // after each decoder output frame
//   endpoint.accept_vad(0.032, vad_says_speech);          // after each VAD window (optional)
//   if (endpoint.is_endpoint()) { finalize(endpoint.reason()); endpoint.reset(); }
#pragma once

#include <cstdint>
#include <string>

namespace parley::asr {

struct EndpointRule {
  bool must_contain_nonsilence = false;    // fire only after a decoded token
  float min_trailing_silence_seconds = 0;  // >= 0
  float min_utterance_seconds = 0;         // >= 0

  // Throws parley::Error "EndpointConfig.<rule_name>.<field>: ..." for negative or non-finite
  // values, and for a rule with both minimums 0 (it would fire on every frame).
  void validate(const std::string& rule_name) const;
  std::string to_string() const;
};

struct VadEndpointRule {
  bool enabled = true;
  float min_trailing_silence_seconds = 0.6f;  // VAD silence after VAD speech; > 0
};

struct EndpointConfig {
  EndpointRule rule1{false, 2.4f, 0.0f};   // trailing silence, nothing decoded
  EndpointRule rule2{true, 1.2f, 0.0f};    // trailing silence after something decoded
  EndpointRule rule3{false, 0.0f, 20.0f};  // maximum utterance length
  VadEndpointRule vad;

  void validate() const;  // throws parley::Error naming the field
  std::string to_string() const;
};

enum class EndpointReason { kNone, kRule1, kRule2, kRule3, kVad };
const char* endpoint_reason_name(EndpointReason reason);

class EndpointDetector {
 public:
  // Validates the config (throws parley::Error).
  explicit EndpointDetector(const EndpointConfig& config = {});

  // The decoder processed `seconds` more audio; `emitted_token` if it produced a non-blank
  // token in it (any token resets the trailing silence).
  void accept_decoder_frames(double seconds, bool emitted_token) noexcept;
  // The VAD classified `seconds` more audio as speech or not.
  void accept_vad(double seconds, bool is_speech) noexcept;

  bool is_endpoint() const noexcept { return reason() != EndpointReason::kNone; }
  // The first rule that fires, in the order rule1, rule2, rule3, vad; kNone if none.
  EndpointReason reason() const noexcept;

  // Starts a new utterance (call after acting on an endpoint).
  void reset() noexcept;

  double utterance_seconds() const noexcept { return utterance_us_ * 1e-6; }
  double trailing_silence_seconds() const noexcept { return trailing_silence_us_ * 1e-6; }
  double vad_trailing_silence_seconds() const noexcept { return vad_trailing_silence_us_ * 1e-6; }
  bool decoded_something() const noexcept { return decoded_something_; }
  const EndpointConfig& config() const { return config_; }

 private:
  bool rule_fires(const EndpointRule& rule) const noexcept;

  EndpointConfig config_;
  int64_t utterance_us_ = 0;
  int64_t trailing_silence_us_ = 0;
  bool decoded_something_ = false;
  bool vad_heard_speech_ = false;
  int64_t vad_trailing_silence_us_ = 0;
};

}  // namespace parley::asr
