#include "assistant/core/pipeline.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "assistant/core/tool_call_parser.h"
#include "audio/echo_canceller.h"
#include "kernels/error.h"
#include "tts/text_shaping.h"

namespace parley::assistant {


// Forwards to the real detector and tracks the current run of speech windows, for barge-in onsets
// that must be faster than the segmenter's min_speech_seconds.
class Pipeline::ProbeVad final : public asr::VoiceActivityDetector {
 public:
  ProbeVad(asr::VoiceActivityDetector& inner, float threshold)
      : inner_(inner), threshold_(threshold) {}
  int sample_rate_hz() const override { return inner_.sample_rate_hz(); }
  size_t window_samples() const override { return inner_.window_samples(); }
  std::string name() const override { return inner_.name(); }
  float speech_probability(std::span<const float> window) noexcept override {
    const float p = inner_.speech_probability(window);
    const auto size = static_cast<int64_t>(window.size());
    if (p >= threshold_) {
      if (run_samples_ == 0) run_start_ = position_;
      run_samples_ += size;
    } else {
      run_samples_ = 0;
    }
    position_ += size;
    return p;
  }
  void reset() noexcept override {
    inner_.reset();
    run_samples_ = 0;
    position_ = 0;
  }
  int64_t run_samples() const { return run_samples_; }
  int64_t run_start() const { return run_start_; }

 private:
  asr::VoiceActivityDetector& inner_;
  float threshold_;
  int64_t position_ = 0;
  int64_t run_start_ = 0;
  int64_t run_samples_ = 0;
};

// ---- options ------------------------------------------------------------------------------------

void PipelineOptions::validate() const {
  if (sample_rate_hz < 8000 || sample_rate_hz > 48000)
    throw Error("PipelineOptions.sample_rate_hz: must be 8000..48000, got " +
                std::to_string(sample_rate_hz));
  if (barge_in_min_speech_ms < 0 || barge_in_min_speech_ms > 2000)
    throw Error("PipelineOptions.barge_in_min_speech_ms: must be 0..2000");
  if (pre_roll_seconds < 0 || pre_roll_seconds > 5)
    throw Error("PipelineOptions.pre_roll_seconds: must be 0..5");
  if (max_tool_rounds < 0 || max_tool_rounds > 10)
    throw Error("PipelineOptions.max_tool_rounds: must be 0..10");
  if (queue_capacity < 4) throw Error("PipelineOptions.queue_capacity: must be >= 4");
  if (poll_interval.count() < 1) throw Error("PipelineOptions.poll_interval: must be >= 1 ms");
  if (!(wake_window_seconds >= 0 && wake_window_seconds <= 600))
    throw Error("PipelineOptions.wake_window_seconds: must be 0..600");
  segmenter.validate();
}

// ---- construction -------------------------------------------------------------------------------

Pipeline::Pipeline(audio::AudioStream& stream, const Clock& clock, PipelineEngines engines,
                   PipelineOptions options)
    : stream_(stream), clock_(clock), engines_(engines), options_(std::move(options)) {
  options_.validate();
  if (!engines_.asr || !engines_.chat || !engines_.tts || !engines_.vad)
    throw Error("Pipeline: the asr, chat, tts and vad engines are required");
  const int rate = options_.sample_rate_hz;
  const audio::StreamConfig& config = stream.config();
  if (config.sample_rate_hz != rate || config.capture_channels != 1 ||
      config.playback_channels != 1)
    throw Error("Pipeline: the stream must be mono capture and playback at " +
                std::to_string(rate) + " Hz (" + config.to_string() + ")");
  if (engines_.asr->sample_rate_hz() != rate)
    throw Error("Pipeline: asr engine rate " + std::to_string(engines_.asr->sample_rate_hz()) +
                " Hz differs from PipelineOptions.sample_rate_hz");
  if (engines_.tts->sample_rate_hz() != rate)
    throw Error("Pipeline: tts engine rate " + std::to_string(engines_.tts->sample_rate_hz()) +
                " Hz differs from PipelineOptions.sample_rate_hz");
  if (engines_.vad->sample_rate_hz() != rate)
    throw Error("Pipeline: vad rate " + std::to_string(engines_.vad->sample_rate_hz()) +
                " Hz differs from PipelineOptions.sample_rate_hz");
  if (options_.echo_cancellation) {
    canceller_ = std::make_unique<audio::EchoCanceller>(
        audio::EchoCancellerConfig{.sample_rate_hz = rate});
    cancelled_capture_ = std::make_unique<audio::EchoCancelledCapture>(stream, *canceller_);
  }
  probe_vad_ = std::make_unique<ProbeVad>(*engines_.vad, options_.segmenter.threshold);
  segmenter_ = std::make_unique<asr::SpeechSegmenter>(*probe_vad_, options_.segmenter);
  capture_block_.resize(static_cast<size_t>(rate / 50));
  history_ring_.resize(static_cast<size_t>(
      std::max(1.0, std::ceil((options_.pre_roll_seconds + options_.segmenter.min_speech_seconds +
                               options_.segmenter.speech_pad_seconds + 0.1) *
                              rate))));
  events_storage_ = std::make_unique<BoundedQueue<Event>>(options_.queue_capacity);
  events_ = events_storage_.get();
  asr_queue_ = std::make_unique<BoundedQueue<AsrItem>>(options_.queue_capacity);
  llm_queue_ = std::make_unique<BoundedQueue<LlmItem>>(options_.queue_capacity);
  clause_queue_ = std::make_unique<BoundedQueue<ClauseItem>>(options_.queue_capacity);
  idle_.fill(false);
  if (!options_.wake_phrase.empty())
    wake_ = std::make_unique<WakePhraseGate>(options_.wake_phrase, options_.wake_window_seconds);
  turns_ = std::make_unique<TurnController>(clock_, [this](const TurnTrace& trace) {
    if (wake_ && !trace.cancelled && !trace.reply.empty()) wake_->turn_ended(clock_.now_us());
    TurnResult result;
    result.trace = trace;
    {
      std::lock_guard lock(tool_calls_mutex_);
      result.tool_calls = turn_tool_calls_;
    }
    {
      std::lock_guard lock(status_mutex_);
      ++status_.turns_ended;
    }
    if (on_turn_) on_turn_(result);
  });
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::set_on_turn(std::function<void(const TurnResult&)> on_turn) {
  on_turn_ = std::move(on_turn);
}

void Pipeline::start() {
  if (started_) throw Error("Pipeline::start: already started");
  started_ = true;
  capture_start_us_ = clock_.now_us();
  threads_.emplace_back([this] { capture_loop(); });
  threads_.emplace_back([this] { asr_loop(); });
  threads_.emplace_back([this] { control_loop(); });
  threads_.emplace_back([this] { llm_loop(); });
  threads_.emplace_back([this] { tts_loop(); });
}

void Pipeline::stop() {
  if (stop_requested_.exchange(true)) return;
  {
    std::lock_guard lock(step_mutex_);
    stopping_ = true;
    ++generation_;
  }
  step_cv_.notify_all();
  engines_.chat->request_cancel();
  events_->close();
  asr_queue_->close();
  llm_queue_->close();
  clause_queue_->close();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

// ---- stepping -----------------------------------------------------------------------------------

uint64_t Pipeline::generation() const {
  std::lock_guard lock(step_mutex_);
  return generation_;
}

void Pipeline::notify() {
  {
    std::lock_guard lock(step_mutex_);
    ++generation_;
  }
  step_cv_.notify_all();
}

void Pipeline::stage_wait(Stage stage, uint64_t seen_generation) {
  std::unique_lock lock(step_mutex_);
  idle_[stage] = true;
  idle_at_[stage] = seen_generation;
  step_cv_.notify_all();
  step_cv_.wait_for(lock, options_.poll_interval,
                    [&] { return generation_ != seen_generation || stopping_; });
  idle_[stage] = false;
}

bool Pipeline::wait_idle(std::chrono::microseconds timeout) {
  std::unique_lock lock(step_mutex_);
  return step_cv_.wait_for(lock, timeout, [&] {
    if (stopping_) return true;
    for (int s = 0; s < kStageCount; ++s)
      if (!idle_[s] || idle_at_[s] != generation_) return false;
    return true;
  });
}

void Pipeline::wait_on_clock_until(Stage stage, int64_t until_us) {
  while (!stop_requested_.load() && clock_.now_us() < until_us) {
    const uint64_t g = generation();
    if (clock_.now_us() >= until_us) break;
    stage_wait(stage, g);
  }
}

void Pipeline::post(Event event) { push_waiting(*events_, std::move(event), kCaptureStage); }

void Pipeline::record_error(const std::string& where, const std::exception& error) {
  std::lock_guard lock(status_mutex_);
  if (errors_.size() < 100) errors_.push_back(where + ": " + error.what());
}

std::vector<std::string> Pipeline::errors() const {
  std::lock_guard lock(status_mutex_);
  return errors_;
}

PipelineStatus Pipeline::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

std::vector<llm::ChatMessage> Pipeline::history() const {
  std::vector<llm::ChatMessage> messages;
  if (!options_.system_prompt.empty()) messages.push_back({"system", options_.system_prompt});
  std::lock_guard lock(history_mutex_);
  messages.insert(messages.end(), history_.begin(), history_.end());
  return messages;
}

void Pipeline::announce(std::string text) {
  {
    std::lock_guard lock(notices_mutex_);
    incoming_notices_.push_back(std::move(text));
  }
  notify();
}

void Pipeline::stop_speaking() {
  stop_speaking_requested_.store(true);
  notify();
}

#define PARLEY_STAGE_LOOP(stage, step, where)                         \
  while (!stop_requested_.load()) {                                   \
    const uint64_t g = generation();                                  \
    bool progressed = false;                                          \
    try {                                                             \
      progressed = step();                                            \
    } catch (const std::exception& error) {                           \
      record_error(where, error);                                     \
      progressed = true;                                              \
    }                                                                 \
    if (progressed)                                                   \
      notify();                                                       \
    else                                                              \
      stage_wait(stage, g);                                           \
  }

void Pipeline::capture_loop() { PARLEY_STAGE_LOOP(kCaptureStage, capture_step, "capture") }
void Pipeline::asr_loop() { PARLEY_STAGE_LOOP(kAsrStage, asr_step, "asr") }
void Pipeline::control_loop() { PARLEY_STAGE_LOOP(kControlStage, control_step, "control") }
void Pipeline::llm_loop() { PARLEY_STAGE_LOOP(kLlmStage, llm_step, "llm") }
void Pipeline::tts_loop() { PARLEY_STAGE_LOOP(kTtsStage, tts_step, "tts") }

#undef PARLEY_STAGE_LOOP

// ---- capture stage ------------------------------------------------------------------------------

bool Pipeline::capture_step() {
  const size_t got = cancelled_capture_ ? cancelled_capture_->read(capture_block_)
                                        : stream_.capture().try_read(std::span(capture_block_));
  if (got == 0) return false;
  std::span<float> chunk(capture_block_.data(), got);
  const bool speaking = speaking_.load(std::memory_order_acquire);
  if (options_.half_duplex && speaking) std::fill(chunk.begin(), chunk.end(), 0.0f);
  const auto ring = static_cast<int64_t>(history_ring_.size());
  for (size_t i = 0; i < got; ++i)
    history_ring_[static_cast<size_t>((captured_samples_ + static_cast<int64_t>(i)) % ring)] =
        chunk[i];
  const int64_t chunk_begin = captured_samples_;
  captured_samples_ += static_cast<int64_t>(got);
  segmenter_->accept(chunk);

  const double us_per_sample = 1e6 / options_.sample_rate_hz;
  auto time_of = [&](int64_t sample) {
    return capture_start_us_ + static_cast<int64_t>(std::llround(sample * us_per_sample));
  };
  // Barge-in: a short run of speech while a reply is audible.
  const int64_t reply = active_reply_.load(std::memory_order_acquire);
  const int64_t min_run = int64_t{options_.barge_in_min_speech_ms} * options_.sample_rate_hz / 1000;
  if (options_.barge_in && !options_.half_duplex && speaking && reply >= 0 &&
      barge_in_reply_ != reply && probe_vad_->run_samples() > 0 &&
      probe_vad_->run_samples() >= min_run) {
    barge_in_reply_ = reply;
    post({TurnEvent::kBargeInOnset, time_of(probe_vad_->run_start()), ""});
  }

  auto send_audio_until = [&](int64_t end) {
    const int64_t begin = std::max(asr_sent_upto_, captured_samples_ - ring);
    if (end <= begin) return;
    AsrItem item;
    item.samples.resize(static_cast<size_t>(end - begin));
    for (int64_t s = begin; s < end; ++s)
      item.samples[static_cast<size_t>(s - begin)] = history_ring_[static_cast<size_t>(s % ring)];
    asr_sent_upto_ = end;
    push_waiting(*asr_queue_, std::move(item), kCaptureStage);
  };
  while (std::optional<asr::SpeechEvent> event = segmenter_->pop_event()) {
    if (event->forced) continue;  // a max-length cut: the utterance goes on
    if (event->kind == asr::SpeechEvent::kSpeechStart) {
      if (options_.half_duplex && speaking) continue;
      post({TurnEvent::kSpeechStart, time_of(event->onset_sample), ""});
      in_utterance_ = true;
      asr_sent_upto_ = std::max(event->segment.start_sample, chunk_begin - ring + 1);
      asr_sent_upto_ = std::max<int64_t>(asr_sent_upto_, 0);
    } else if (in_utterance_) {
      send_audio_until(captured_samples_);
      in_utterance_ = false;
      post({TurnEvent::kSpeechEnd, time_of(event->segment.end_sample), ""});
      post({TurnEvent::kEndpoint, -1, ""});
      AsrItem end;
      end.end_utterance = true;
      push_waiting(*asr_queue_, std::move(end), kCaptureStage);
    }
  }
  if (in_utterance_) send_audio_until(captured_samples_);
  return true;
}

// ---- ASR stage ----------------------------------------------------------------------------------

bool Pipeline::asr_step() {
  std::optional<AsrItem> item = asr_queue_->try_pop();
  if (!item) return false;
  if (!item->end_utterance) {
    engines_.asr->accept(item->samples);
    std::string partial = engines_.asr->partial();
    std::lock_guard lock(status_mutex_);
    status_.partial = std::move(partial);
    return true;
  }
  std::string text;
  try {
    text = engines_.asr->finish_utterance();
  } catch (const std::exception& error) {
    record_error("asr", error);
  }
  push_waiting(*events_, Event{TurnEvent::kFinalTranscript, -1, std::move(text)}, kAsrStage);
  return true;
}

}  // namespace parley::assistant
