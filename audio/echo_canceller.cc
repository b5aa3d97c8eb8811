#include "audio/echo_canceller.h"

#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <algorithm>
#include <cstdio>

#include "audio/device.h"
#include "audio/error.h"

namespace parley::audio {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw Error("echo canceller: " + what);
}

void check(int code, const char* call) {
  if (code != webrtc::AudioProcessing::kNoError) {
    fail(std::string(call) + " failed (webrtc error " + std::to_string(code) + ")");
  }
}

webrtc::EchoCancellation::SuppressionLevel to_webrtc(EchoSuppression level) {
  switch (level) {
    case EchoSuppression::kLow:
      return webrtc::EchoCancellation::kLowSuppression;
    case EchoSuppression::kModerate:
      return webrtc::EchoCancellation::kModerateSuppression;
    case EchoSuppression::kHigh:
      return webrtc::EchoCancellation::kHighSuppression;
  }
  return webrtc::EchoCancellation::kHighSuppression;
}

webrtc::NoiseSuppression::Level to_webrtc(NoiseSuppressionLevel level) {
  switch (level) {
    case NoiseSuppressionLevel::kLow:
      return webrtc::NoiseSuppression::kLow;
    case NoiseSuppressionLevel::kModerate:
      return webrtc::NoiseSuppression::kModerate;
    case NoiseSuppressionLevel::kHigh:
      return webrtc::NoiseSuppression::kHigh;
    case NoiseSuppressionLevel::kVeryHigh:
      return webrtc::NoiseSuppression::kVeryHigh;
  }
  return webrtc::NoiseSuppression::kModerate;
}

}  // namespace

void EchoCancellerConfig::validate() const {
  if (sample_rate_hz != 8000 && sample_rate_hz != 16000 && sample_rate_hz != 32000 &&
      sample_rate_hz != 48000) {
    fail("sample_rate_hz = " + std::to_string(sample_rate_hz) +
         " (webrtc-audio-processing runs at 8000, 16000, 32000 or 48000)");
  }
  if (stream_delay_ms < 0 || stream_delay_ms > 500) {
    fail("stream_delay_ms = " + std::to_string(stream_delay_ms) + " (must be 0 .. 500)");
  }
  if (gain_target_level_dbfs < 0 || gain_target_level_dbfs > 31) {
    fail("gain_target_level_dbfs = " + std::to_string(gain_target_level_dbfs) +
         " (must be 0 .. 31)");
  }
  if (gain_compression_db < 0 || gain_compression_db > 90) {
    fail("gain_compression_db = " + std::to_string(gain_compression_db) + " (must be 0 .. 90)");
  }
}

std::string EchoCancellerConfig::to_string() const {
  char text[256];
  std::snprintf(text, sizeof text,
                "%d Hz; aec %s (suppression %d, delay %d ms%s%s); ns %s (level %d); agc %s "
                "(target -%d dBFS, up to %d dB); high-pass %s",
                sample_rate_hz, echo_cancellation ? "on" : "off",
                static_cast<int>(echo_suppression), stream_delay_ms,
                delay_agnostic ? ", delay-agnostic" : "", extended_filter ? ", extended" : "",
                noise_suppression ? "on" : "off", static_cast<int>(noise_suppression_level),
                gain_control ? "on" : "off", gain_target_level_dbfs, gain_compression_db,
                high_pass_filter ? "on" : "off");
  return text;
}

struct EchoCanceller::Impl {
  std::unique_ptr<webrtc::AudioProcessing> processor;
  webrtc::StreamConfig stream_config;
};

EchoCanceller::EchoCanceller(const EchoCancellerConfig& config)
    : config_(config), impl_(std::make_unique<Impl>()) {
  config_.validate();
  webrtc::Config extra;
  extra.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(config_.extended_filter));
  extra.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(config_.delay_agnostic));
  // The "experimental" AGC drives an analog microphone volume we do not control; the digital AGC
  // below is the one we use.
  extra.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
  impl_->processor.reset(webrtc::AudioProcessing::Create(extra));
  if (impl_->processor == nullptr) fail("webrtc::AudioProcessing::Create failed");
  impl_->stream_config = webrtc::StreamConfig(config_.sample_rate_hz, 1);
  const webrtc::ProcessingConfig processing_config = {
      {impl_->stream_config, impl_->stream_config, impl_->stream_config, impl_->stream_config}};
  check(impl_->processor->Initialize(processing_config), "Initialize");

  webrtc::AudioProcessing& apm = *impl_->processor;
  check(apm.echo_cancellation()->set_suppression_level(to_webrtc(config_.echo_suppression)),
        "set_suppression_level");
  check(apm.echo_cancellation()->enable_drift_compensation(false), "enable_drift_compensation");
  check(apm.echo_cancellation()->enable_metrics(true), "enable_metrics");
  check(apm.echo_cancellation()->enable_delay_logging(true), "enable_delay_logging");
  check(apm.noise_suppression()->set_level(to_webrtc(config_.noise_suppression_level)),
        "noise set_level");
  check(apm.gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital), "agc set_mode");
  check(apm.gain_control()->set_target_level_dbfs(config_.gain_target_level_dbfs),
        "agc set_target_level_dbfs");
  check(apm.gain_control()->set_compression_gain_db(config_.gain_compression_db),
        "agc set_compression_gain_db");
  check(apm.gain_control()->enable_limiter(true), "agc enable_limiter");
  check(apm.high_pass_filter()->Enable(config_.high_pass_filter), "high_pass_filter Enable");
  apply_switches();
  far_end_scratch_.assign(frame_samples(), 0.0f);
}

EchoCanceller::~EchoCanceller() = default;

void EchoCanceller::apply_switches() {
  webrtc::AudioProcessing& apm = *impl_->processor;
  check(apm.echo_cancellation()->Enable(config_.echo_cancellation), "echo_cancellation Enable");
  check(apm.noise_suppression()->Enable(config_.noise_suppression), "noise_suppression Enable");
  check(apm.gain_control()->Enable(config_.gain_control), "gain_control Enable");
}

void EchoCanceller::set_echo_cancellation_enabled(bool enabled) {
  config_.echo_cancellation = enabled;
  apply_switches();
}

void EchoCanceller::set_noise_suppression_enabled(bool enabled) {
  config_.noise_suppression = enabled;
  apply_switches();
}

void EchoCanceller::set_gain_control_enabled(bool enabled) {
  config_.gain_control = enabled;
  apply_switches();
}

void EchoCanceller::set_stream_delay_ms(int delay_ms) {
  EchoCancellerConfig changed = config_;
  changed.stream_delay_ms = delay_ms;
  changed.validate();
  config_ = changed;
}

void EchoCanceller::analyze_far_end(std::span<const float> frame) {
  if (frame.size() != frame_samples()) {
    fail("far-end frame has " + std::to_string(frame.size()) + " samples, expected " +
         std::to_string(frame_samples()) + " (10 ms)");
  }
  const float* source[1] = {frame.data()};
  float* destination[1] = {far_end_scratch_.data()};
  check(impl_->processor->ProcessReverseStream(source, impl_->stream_config, impl_->stream_config,
                                               destination),
        "ProcessReverseStream");
  ++far_end_frames_;
}

void EchoCanceller::process_capture(std::span<const float> captured, std::span<float> cleaned) {
  if (captured.size() != frame_samples() || cleaned.size() != frame_samples()) {
    fail("capture frame has " + std::to_string(captured.size()) + " samples and output " +
         std::to_string(cleaned.size()) + ", expected " + std::to_string(frame_samples()) +
         " (10 ms)");
  }
  webrtc::AudioProcessing& apm = *impl_->processor;
  if (config_.echo_cancellation) apm.set_stream_delay_ms(config_.stream_delay_ms);
  const float* source[1] = {captured.data()};
  float* destination[1] = {cleaned.data()};
  check(apm.ProcessStream(source, impl_->stream_config, impl_->stream_config, destination),
        "ProcessStream");
  ++capture_frames_;
}

EchoCancellerStats EchoCanceller::stats() const {
  EchoCancellerStats stats;
  stats.far_end_frames = far_end_frames_;
  stats.capture_frames = capture_frames_;
  webrtc::AudioProcessing& apm = *impl_->processor;
  if (config_.echo_cancellation) {
    stats.stream_has_echo = apm.echo_cancellation()->stream_has_echo();
    webrtc::EchoCancellation::Metrics metrics{};
    if (apm.echo_cancellation()->GetMetrics(&metrics) == webrtc::AudioProcessing::kNoError) {
      stats.echo_return_loss_db = metrics.echo_return_loss.average;
      stats.echo_return_loss_enhancement_db = metrics.echo_return_loss_enhancement.average;
    }
    int median = -1, deviation = 0;
    float poor_fraction = 0;
    if (apm.echo_cancellation()->GetDelayMetrics(&median, &deviation, &poor_fraction) ==
        webrtc::AudioProcessing::kNoError) {
      stats.delay_median_ms = median;
    }
  }
  if (config_.noise_suppression) {
    stats.speech_probability = apm.noise_suppression()->speech_probability();
  }
  return stats;
}

// ---- EchoCancelledCapture -------------------------------------------------------------------

EchoCancelledCapture::EchoCancelledCapture(AudioStream& stream, EchoCanceller& canceller)
    : stream_(stream), canceller_(canceller) {
  const StreamConfig& config = stream.config();
  if (!stream.has_capture() || !stream.has_far_end()) {
    fail("the stream needs capture and keep_far_end_reference (" + config.to_string() + ")");
  }
  if (config.capture_channels != 1 || config.playback_channels != 1) {
    fail("the stream must be mono in and out (" + config.to_string() + ")");
  }
  if (config.sample_rate_hz != canceller.config().sample_rate_hz) {
    fail("stream runs at " + std::to_string(config.sample_rate_hz) + " Hz, canceller at " +
         std::to_string(canceller.config().sample_rate_hz) + " Hz");
  }
  far_end_frame_.assign(canceller.frame_samples(), 0.0f);
}

size_t EchoCancelledCapture::read(std::span<float> cleaned) {
  const size_t frame = canceller_.frame_samples();
  size_t written = 0;
  while (written + frame <= cleaned.size() && stream_.far_end().read_available() >= frame &&
         stream_.capture().read_available() >= frame) {
    stream_.far_end().try_read(far_end_frame_);
    canceller_.analyze_far_end(far_end_frame_);
    std::span<float> out = cleaned.subspan(written, frame);
    stream_.capture().try_read(out);
    canceller_.process_capture(out, out);
    written += frame;
  }
  return written;
}

}  // namespace parley::audio
