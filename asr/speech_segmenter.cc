#include "asr/speech_segmenter.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "kernels/error.h"

namespace parley::asr {
namespace {

void check(bool ok, const char* field, float value, const char* what) {
  if (!ok) {
    throw Error(std::string("SegmenterConfig.") + field + ": " + std::to_string(value) + " " +
                what);
  }
}

}  // namespace

void SegmenterConfig::validate() const {
  check(threshold > 0.0f && threshold < 1.0f, "threshold", threshold, "is outside (0, 1)");
  check(release_threshold >= 0.0f && release_threshold <= threshold, "release_threshold",
        release_threshold, "is outside [0, threshold]");
  check(min_speech_seconds >= 0.0f && min_speech_seconds <= 60.0f, "min_speech_seconds",
        min_speech_seconds, "is outside [0, 60]");
  check(min_silence_seconds >= 0.0f && min_silence_seconds <= 60.0f, "min_silence_seconds",
        min_silence_seconds, "is outside [0, 60]");
  check(max_speech_seconds > min_speech_seconds && max_speech_seconds <= 3600.0f,
        "max_speech_seconds", max_speech_seconds, "is outside (min_speech_seconds, 3600]");
  check(speech_pad_seconds >= 0.0f && speech_pad_seconds <= 5.0f, "speech_pad_seconds",
        speech_pad_seconds, "is outside [0, 5]");
}

std::string SegmenterConfig::to_string() const {
  std::ostringstream out;
  out << "SegmenterConfig(threshold=" << threshold << ", release_threshold=" << release_threshold
      << ", min_speech_seconds=" << min_speech_seconds
      << ", min_silence_seconds=" << min_silence_seconds
      << ", max_speech_seconds=" << max_speech_seconds
      << ", speech_pad_seconds=" << speech_pad_seconds
      << (sherpa_onnx_rules ? ", sherpa_onnx_rules" : "") << ")";
  return out.str();
}

SpeechSegmenter::SpeechSegmenter(VoiceActivityDetector& vad, const SegmenterConfig& config)
    : vad_(vad), config_(config) {
  config_.validate();
  const double rate = vad_.sample_rate_hz();
  auto samples = [rate](float seconds) {
    return static_cast<int64_t>(std::llround(seconds * rate));
  };
  window_ = static_cast<int64_t>(vad_.window_samples());
  if (window_ <= 0) throw Error("SpeechSegmenter: " + vad_.name() + " has a window of 0 samples");
  min_speech_ = samples(config_.min_speech_seconds);
  min_silence_ = samples(config_.min_silence_seconds);
  max_speech_ = samples(config_.max_speech_seconds);
  pad_ = samples(config_.speech_pad_seconds);
  pending_.resize(static_cast<size_t>(window_));
}

void SpeechSegmenter::accept(std::span<const float> samples) noexcept {
  while (!samples.empty()) {
    if (pending_count_ == 0 && samples.size() >= pending_.size()) {
      process_window(samples.first(pending_.size()));  // whole window straight from the input
      samples = samples.subspan(pending_.size());
      continue;
    }
    const size_t take = std::min(samples.size(), pending_.size() - pending_count_);
    std::copy_n(samples.begin(), take,
                pending_.begin() + static_cast<std::ptrdiff_t>(pending_count_));
    pending_count_ += take;
    samples = samples.subspan(take);
    if (pending_count_ == pending_.size()) {
      pending_count_ = 0;
      process_window(pending_);
    }
  }
}

void SpeechSegmenter::process_window(std::span<const float> window) noexcept {
  const int64_t start = position_;
  const int64_t end = start + window_;
  position_ = end;
  const float p = vad_.speech_probability(window);
  last_probability_ = p;
  const bool speech = p >= config_.threshold;

  if (!region_open_) {
    if (!speech) return;
    region_open_ = true;
    in_segment_ = false;
    candidate_start_ = start;
    speech_in_region_ = 0;
    silence_start_ = -1;
  }
  if (speech) {
    silence_start_ = -1;
    speech_in_region_ += window_;
  } else if (p < config_.release_threshold && silence_start_ < 0) {
    silence_start_ = start;
  }
  const bool sherpa = config_.sherpa_onnx_rules;
  if (sherpa && !in_segment_ && !speech) {
    region_open_ = false;  // sherpa-onnx: speech must be consecutive until confirmed
    silence_start_ = -1;
    return;
  }
  // sherpa-onnx measures from the end of the first speech window, so it needs one more window.
  const int64_t speech_needed = std::max<int64_t>(min_speech_, 1) + (sherpa ? window_ : 0);
  if (!in_segment_ && speech_in_region_ >= speech_needed) {
    in_segment_ = true;
    segment_speech_start_ = candidate_start_;
    segment_start_ = std::max<int64_t>({candidate_start_ - pad_, last_end_, 0});
    SpeechEvent event;
    event.kind = SpeechEvent::kSpeechStart;
    event.onset_sample = candidate_start_;
    event.reported_sample = end;
    event.segment = {segment_start_, segment_start_};
    push(event);
  }
  const bool silence_over =
      silence_start_ >= 0 &&
      (sherpa ? p < config_.release_threshold && start - silence_start_ >= min_silence_
              : end - silence_start_ >= min_silence_);
  if (silence_over) {
    if (in_segment_) {
      end_segment(std::min(silence_start_ + pad_, end), /*forced=*/false);
    } else {
      region_open_ = false;  // too little speech: not a segment
      silence_start_ = -1;
    }
    return;
  }
  if (!in_segment_) return;
  if (end - segment_speech_start_ >= max_speech_) {
    end_segment(end, /*forced=*/true);
    // Speech goes on: the next segment starts right here (not a new onset).
    region_open_ = true;
    in_segment_ = true;
    speech_in_region_ = 0;
    segment_speech_start_ = end;
    segment_start_ = end;
    silence_start_ = -1;
    SpeechEvent event;
    event.kind = SpeechEvent::kSpeechStart;
    event.forced = true;
    event.onset_sample = end;
    event.reported_sample = end;
    event.segment = {end, end};
    push(event);
  }
}

void SpeechSegmenter::end_segment(int64_t end_sample, bool forced) noexcept {
  SpeechEvent event;
  event.kind = SpeechEvent::kSpeechEnd;
  event.forced = forced;
  event.onset_sample = segment_speech_start_;
  event.reported_sample = position_;
  event.segment = {segment_start_, end_sample};
  push(event);
  last_end_ = end_sample;
  region_open_ = false;
  in_segment_ = false;
  silence_start_ = -1;
}

void SpeechSegmenter::finish() noexcept {
  if (!in_segment_) return;
  const int64_t end = silence_start_ >= 0 ? std::min(silence_start_ + pad_, position_) : position_;
  end_segment(end, /*forced=*/false);
}

void SpeechSegmenter::push(const SpeechEvent& event) noexcept {
  if (event_count_ == kMaxQueuedEvents) {  // consumer is not popping: drop the oldest
    event_head_ = (event_head_ + 1) % kMaxQueuedEvents;
    --event_count_;
  }
  events_[(event_head_ + event_count_) % kMaxQueuedEvents] = event;
  ++event_count_;
}

std::optional<SpeechEvent> SpeechSegmenter::pop_event() noexcept {
  if (event_count_ == 0) return std::nullopt;
  const SpeechEvent event = events_[event_head_];
  event_head_ = (event_head_ + 1) % kMaxQueuedEvents;
  --event_count_;
  return event;
}

void SpeechSegmenter::reset() noexcept {
  vad_.reset();
  pending_count_ = 0;
  position_ = 0;
  last_probability_ = 0;
  region_open_ = false;
  candidate_start_ = 0;
  speech_in_region_ = 0;
  in_segment_ = false;
  segment_start_ = segment_speech_start_ = 0;
  silence_start_ = -1;
  last_end_ = 0;
  event_head_ = event_count_ = 0;
}

std::vector<SpeechSegment> segment_speech(VoiceActivityDetector& vad,
                                          std::span<const float> samples,
                                          const SegmenterConfig& config) {
  SpeechSegmenter segmenter(vad, config);
  segmenter.reset();
  std::vector<SpeechSegment> segments;
  auto drain = [&] {
    while (auto event = segmenter.pop_event()) {
      if (event->kind == SpeechEvent::kSpeechEnd) segments.push_back(event->segment);
    }
  };
  // Chunks of one second keep the event queue short.
  const size_t chunk = static_cast<size_t>(vad.sample_rate_hz());
  for (size_t pos = 0; pos < samples.size(); pos += chunk) {
    segmenter.accept(samples.subspan(pos, std::min(chunk, samples.size() - pos)));
    drain();
  }
  segmenter.finish();
  drain();
  return segments;
}

}  // namespace parley::asr
