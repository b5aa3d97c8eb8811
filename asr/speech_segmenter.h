// SpeechSegmenter — turns a VoiceActivityDetector's per-window probabilities into speech segments
// and speech onsets (for barge-in), streaming, with the knobs of Silero's / sherpa-onnx's
// segmenting: threshold, minimum speech, minimum silence, maximum speech and padding.
//
// Rules (times are sample indices at the detector's rate, counted from the first sample fed)
//   * A window is "speech" when P >= threshold. The first speech window opens a region; once the
//     region holds min_speech_seconds of speech windows (short gaps between words allowed) it
//     becomes a segment and a kSpeechStart event reports the onset (the first speech window's
//     start) — the moment to interrupt playback — and the padded segment start. A region that
//     hits min_silence_seconds of silence before that (a click, a cough) is dropped silently.
//   * In a region, a window with P < release_threshold starts (or continues) a silence run; a
//     window with P >= threshold cancels it; windows in between neither start nor cancel it
//     (hysteresis). After min_silence_seconds of silence run the segment ends: kSpeechEnd with
//     end = silence start + padding.
//   * A segment reaching max_speech_seconds is cut there (kSpeechEnd with `forced`), and a new
//     one starts at the same sample (kSpeechStart with `forced`: not a new onset).
//   * Padding extends starts backwards by speech_pad_seconds (never before 0 or the previous
//     segment's end) and ends forwards (never past the audio seen).
//   * finish() closes an open segment at the end of the audio; a trailing partial window is
//     ignored.
//
// Contracts
//   * accept() takes any chunk size; the events do not depend on how the audio was chunked.
//   * No allocation after construction as long as the caller pops events (at most a few per
//     window are queued; the queue holds kMaxQueuedEvents and drops the oldest beyond that).
//   * Construction validates the config (parley::Error naming the field). Not thread-safe.
//
// Usage
//   parley::asr::EnergyVad vad;
//   parley::asr::SpeechSegmenter segmenter(vad);    // keeps a reference to `vad`
//   segmenter.accept(mic_chunk_16k);
//   while (auto event = segmenter.pop_event()) {
//     if (event->kind == SpeechEvent::kSpeechStart && !event->forced)
//     barge_in(event->onset_sample); if (event->kind == SpeechEvent::kSpeechEnd)
//     recognize(event->segment);
//   }
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "asr/vad.h"

namespace parley::asr {

struct SegmenterConfig {
  float threshold = 0.5f;            // P(speech) at or above which a window is speech
  float release_threshold = 0.35f;   // below this a window counts as silence inside a segment
  float min_speech_seconds = 0.25f;  // shorter speech runs are not segments
  float min_silence_seconds = 0.5f;  // silence that ends a segment
  float max_speech_seconds = 20.0f;  // longer segments are cut
  float speech_pad_seconds = 0.03f;  // added before and after each segment
  // Count speech and silence the way Silero's get_speech_timestamps and sherpa-onnx's Vad do
  // (tests/asr/vad_sherpa_test.cc): a segment needs min_speech_seconds of CONSECUTIVE speech
  // windows measured from the end of the first (any other window drops the candidate), and ends
  // on a window below release_threshold once min_silence_seconds have passed from the end of the
  // first silent window — one window more of each than the default rules.
  bool sherpa_onnx_rules = false;

  void validate() const;  // throws parley::Error "SegmenterConfig.<field>: ..."
  std::string to_string() const;
};

struct SpeechSegment {
  int64_t start_sample = 0;  // padded
  int64_t end_sample = 0;    // padded, exclusive
};

struct SpeechEvent {
  enum Kind { kSpeechStart, kSpeechEnd };
  Kind kind = kSpeechStart;
  bool forced = false;       // produced by the max_speech_seconds cut
  int64_t onset_sample = 0;  // kSpeechStart: first sample of the first speech window
  int64_t reported_sample =
      0;                  // audio position when the event was decided (latency = this - onset)
  SpeechSegment segment;  // kSpeechStart: start only (end = start); kSpeechEnd: complete
};

class SpeechSegmenter {
 public:
  static constexpr size_t kMaxQueuedEvents = 64;

  // `vad` must outlive the segmenter; the segmenter calls vad.reset() in its own reset().
  SpeechSegmenter(VoiceActivityDetector& vad, const SegmenterConfig& config = {});

  // Mono samples at vad.sample_rate_hz(), any count.
  void accept(std::span<const float> samples) noexcept;
  // End of audio: closes an open segment.
  void finish() noexcept;
  std::optional<SpeechEvent> pop_event() noexcept;

  bool in_speech() const { return in_segment_; }
  int64_t samples_seen() const { return position_ + static_cast<int64_t>(pending_count_); }
  // Probability of the last window, for meters and logs.
  float last_probability() const { return last_probability_; }

  void reset() noexcept;
  const SegmenterConfig& config() const { return config_; }

 private:
  void process_window(std::span<const float> window) noexcept;
  void push(const SpeechEvent& event) noexcept;
  void end_segment(int64_t end_sample, bool forced) noexcept;

  VoiceActivityDetector& vad_;
  SegmenterConfig config_;
  int64_t window_ = 0, min_speech_ = 0, min_silence_ = 0, max_speech_ = 0, pad_ = 0;  // samples

  std::vector<float> pending_;  // partial window
  size_t pending_count_ = 0;
  int64_t position_ = 0;  // first sample of the next window
  float last_probability_ = 0;

  bool region_open_ = false;          // a region is open (maybe not yet confirmed as a segment)
  int64_t candidate_start_ = 0;       // first speech window of the open region
  int64_t speech_in_region_ = 0;      // samples of speech windows in the open region
  bool in_segment_ = false;           // the open region is a confirmed segment
  int64_t segment_start_ = 0;         // padded start of the open segment
  int64_t segment_speech_start_ = 0;  // unpadded start, for max_speech
  int64_t silence_start_ = -1;        // start of the silence run inside the region
  int64_t last_end_ = 0;              // end of the previous segment

  std::array<SpeechEvent, kMaxQueuedEvents> events_{};
  size_t event_head_ = 0, event_count_ = 0;
};

// Whole-signal convenience: the segments of `samples` (e.g. for `parley vad FILE`).
std::vector<SpeechSegment> segment_speech(VoiceActivityDetector& vad,
                                          std::span<const float> samples,
                                          const SegmenterConfig& config = {});

}  // namespace parley::asr
