// Pipeline — the full-duplex voice pipeline: capture ring → (echo cancellation) → VAD → streaming
// ASR → endpoint → LLM tokens (tool calls run through the registry, results fed back, follow-up
// generated) → tool-call filter + clause chunker + text shaping → TTS → playback ring.
//
// Threads (one per stage; text and events cross in BoundedQueues, audio in the device's
// lock-free rings; nothing ever blocks a device callback):
//   capture  reads the capture ring (through EchoCancelledCapture when echo cancellation is on),
//            mutes it while speaking in half-duplex mode, runs the VAD + SpeechSegmenter, detects
//            barge-in onsets, forwards utterance audio (with pre-roll) to the ASR stage.
//   asr      feeds the recognizer; at the endpoint takes the final transcript.
//   control  owns the TurnController (turn_state.h, turn_trace.h): applies every event on the
//            pipeline's Clock, starts replies, and on barge-in flushes playback, drops queued
//            clauses and cancels the LLM; watches the device counters for first audio out and the
//            end of playback; polls the timers.
//   llm      owns the conversation history; streams the reply into the clause queue.
//   tts      shapes and synthesizes each clause into the playback ring, recording the spans of
//            what it wrote in a PlaybackLedger (barge_in.h) so the history keeps what was heard.
//
// Barge-in: a run of barge_in_min_speech_ms of speech windows while a reply is being spoken
// (state thinking with audio queued, or speaking) interrupts it: playback flushed, clause queue
// dropped, LLM cancelled (within one token), and the reply's history entry cut to the heard text
// (by the ledger: whole clauses played plus the played share of the current one; for a clause
// still being synthesized, its span so far stands for its length).
//
// Stepping on a simulated clock: every stage loop is "do what can be done without waiting, else
// report idle and wait for something to change". wait_idle() returns once every stage is idle
// with no event in between — the moment a driver (pipeline_driver.h) may advance the clock and
// run the next device block, so that a run on a SimulatedClock is deterministic and processing
// takes no simulated time (kLockstep). Stages also poll every 5 ms, so the pipeline runs on a
// real device and a RealClock with no driver at all.
//
// Contracts
//   * The stream must be mono capture and playback at options.sample_rate_hz (the engines' rates
//     must match; checked at construction, parley::Error naming the field). With
//     echo_cancellation the stream must keep its far-end reference.
//   * start() once, stop() once (the destructor stops). Engine exceptions on a stage thread are
//     caught, logged in errors(), and the turn is cancelled; the pipeline keeps running.
//   * Callbacks (on_turn) run on the control thread.
//
// Usage
//   Pipeline pipeline(stream, clock, {.asr = &asr, .chat = &chat, .tts = &tts, .vad = &vad,
//                     .tools = &registry, .timers = &timers}, options);
//   pipeline.set_on_turn([](const TurnResult& r) { std::puts(r.trace.to_json_line().c_str()); });
//   pipeline.start();
//   ... a device or ConversationDriver runs ...
//   pipeline.stop();
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "asr/speech_segmenter.h"
#include "asr/vad.h"
#include "assistant/core/barge_in.h"
#include "assistant/core/bounded_queue.h"
#include "assistant/core/clock.h"
#include "assistant/core/engines.h"
#include "assistant/core/timers.h"
#include "assistant/core/tool_registry.h"
#include "assistant/core/turn_trace.h"
#include "assistant/core/wake_phrase.h"
#include "audio/device.h"
#include "tts/clause_chunker.h"

namespace parley::audio {
class EchoCanceller;
class EchoCancelledCapture;
}  // namespace parley::audio

namespace parley::assistant {

struct PipelineEngines {
  SpeechRecognizerEngine* asr = nullptr;   // required
  ChatEngine* chat = nullptr;              // required
  SpeechSynthesizerEngine* tts = nullptr;  // required
  asr::VoiceActivityDetector* vad = nullptr;  // required, at the pipeline's rate
  const ToolRegistry* tools = nullptr;     // optional: no tools
  TimerService* timers = nullptr;          // optional: polled by the control thread
};

struct PipelineOptions {
  int sample_rate_hz = 16000;
  bool echo_cancellation = false;  // needs StreamConfig::keep_far_end_reference
  bool half_duplex = false;        // mute the microphone while a reply is being played
  bool barge_in = true;            // user speech during playback interrupts it
  int barge_in_min_speech_ms = 60;  // speech windows in a row that count as an onset
  asr::SegmenterConfig segmenter = {.min_speech_seconds = 0.25f, .min_silence_seconds = 0.5f};
  double pre_roll_seconds = 0.5;  // audio before the confirmed onset sent to the ASR
  std::string system_prompt;
  int max_tool_rounds = 3;  // follow-up replies after tool results, per turn
  std::string wake_phrase;            // "" = answer every utterance (wake_phrase.h)
  double wake_window_seconds = 8.0;   // awake after an answered turn, without the phrase
  tts::ClauseChunkerOptions chunker = {};
  size_t queue_capacity = 256;
  std::chrono::milliseconds poll_interval{5};

  void validate() const;  // throws parley::Error "PipelineOptions.<field>: ..."
};

struct TurnResult {
  TurnTrace trace;                  // transcript and reply (heard part) included
  std::vector<std::string> tool_calls;  // tool results as fed back ({"name":..,"ok":..})
  int64_t audio_samples = 0;        // samples of answer audio written for this turn
};

struct PipelineStatus {
  TurnState state = TurnState::kListening;
  int64_t turns_ended = 0;
  bool reply_active = false;       // a reply is generating, synthesizing or playing
  int64_t first_audio_out_us = -1;  // of the reply being played; -1 none
  std::string partial;             // latest partial transcript (the final one once it is known)
  // Counters a poller can diff so that no short-lived state is missed between two polls:
  int64_t finals = 0;               // final transcripts handled (the latest in final_text)
  std::string final_text;
  int64_t replies_heard = 0;        // turn replies whose first sample was played
};

class Pipeline {
 public:
  enum Stage : int { kCaptureStage, kAsrStage, kControlStage, kLlmStage, kTtsStage, kStageCount };

  Pipeline(audio::AudioStream& stream, const Clock& clock, PipelineEngines engines,
           PipelineOptions options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void set_on_turn(std::function<void(const TurnResult&)> on_turn);  // before start()
  void start();
  void stop();

  // Speak `text` outside a turn (a timer that is due); queued until the floor is free. Any thread.
  void announce(std::string text);
  // Stop speaking now (the "stop" tool): like a barge-in without a new turn. Any thread.
  void stop_speaking();

  // --- stepping (pipeline_driver.h) ---
  // Something outside changed (a device block ran, the clock moved): every stage looks again.
  void notify();
  // Waits until every stage is idle with nothing new since; false on timeout.
  bool wait_idle(std::chrono::microseconds timeout);
  // For engine fakes on the LLM or TTS thread: wait until clock.now_us() reaches `until_us`
  // (the driver advances the clock meanwhile). Returns early when the pipeline stops.
  void wait_on_clock_until(Stage stage, int64_t until_us);

  PipelineStatus status() const;
  std::vector<llm::ChatMessage> history() const;
  std::vector<std::string> errors() const;
  const PipelineOptions& options() const { return options_; }

 private:
  struct Event {
    TurnEvent event = TurnEvent::kCancel;
    int64_t at_us = -1;  // -1: when the control thread applies it
    std::string text;    // final transcript
  };
  struct AsrItem {
    std::vector<float> samples;
    bool end_utterance = false;
  };
  struct LlmItem {
    enum Kind { kReply, kNotice, kTruncate } kind = kReply;
    int64_t reply_id = 0;
    std::string text;  // user text, notice text, or the heard text (kTruncate)
  };
  struct ClauseItem {
    int64_t reply_id = 0;
    std::string text;  // shaped for speech; empty with end_of_reply
    bool end_of_reply = false;
  };

  void capture_loop();
  void asr_loop();
  void control_loop();
  void llm_loop();
  void tts_loop();

  bool capture_step();
  bool asr_step();
  bool control_step();
  bool llm_step();
  bool tts_step();

  void post(Event event);
  // Queues `item`, waiting (as an idle stage) while the queue is full; dropped on stop.
  template <typename T>
  void push_waiting(BoundedQueue<T>& queue, T item, Stage stage) {
    for (;;) {
      const uint64_t g = generation();
      if (queue.try_push(std::move(item))) {
        notify();
        return;
      }
      if (stop_requested_.load() || queue.closed()) return;
      stage_wait(stage, g);
    }
  }
  void stage_wait(Stage stage, uint64_t seen_generation);
  uint64_t generation() const;
  void record_error(const std::string& where, const std::exception& error);

  void handle_event(const Event& event);
  void apply_actions(TurnTransition transition, const Event& event);
  void interrupt_reply(bool new_turn);
  void begin_reply(int64_t reply_id, std::string user_text, bool notice);
  void run_reply(const LlmItem& item);
  bool write_playback(std::span<const float> samples, int64_t reply_id);
  bool tts_reply_snapshot_matches(int64_t reply) const;

  audio::AudioStream& stream_;
  const Clock& clock_;
  std::unique_ptr<WakePhraseGate> wake_;  // control thread; null without a wake phrase
  PipelineEngines engines_;
  PipelineOptions options_;
  std::function<void(const TurnResult&)> on_turn_;

  // Stepping.
  mutable std::mutex step_mutex_;
  std::condition_variable step_cv_;
  uint64_t generation_ = 0;
  std::array<uint64_t, kStageCount> idle_at_{};
  std::array<bool, kStageCount> idle_{};
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};

  BoundedQueue<Event>* events_ = nullptr;
  std::unique_ptr<BoundedQueue<Event>> events_storage_;
  std::unique_ptr<BoundedQueue<AsrItem>> asr_queue_;
  std::unique_ptr<BoundedQueue<LlmItem>> llm_queue_;
  std::unique_ptr<BoundedQueue<ClauseItem>> clause_queue_;

  // Capture stage state.
  std::unique_ptr<audio::EchoCanceller> canceller_;
  std::unique_ptr<audio::EchoCancelledCapture> cancelled_capture_;
  class ProbeVad;
  std::unique_ptr<ProbeVad> probe_vad_;
  std::unique_ptr<asr::SpeechSegmenter> segmenter_;
  std::vector<float> capture_block_;
  std::vector<float> history_ring_;  // last pre_roll samples, by absolute index
  int64_t captured_samples_ = 0;
  int64_t capture_start_us_ = 0;
  bool in_utterance_ = false;
  int64_t asr_sent_upto_ = 0;  // absolute capture sample up to which audio went to the ASR
  int64_t barge_in_reply_ = -1;  // reply already interrupted by the capture stage

  // Shared between stages.
  std::atomic<int64_t> reply_epoch_{0};    // id of the reply allowed to speak; bumped on cancel
  std::atomic<int64_t> active_reply_{-1};  // reply being spoken (control's view), -1 none
  std::atomic<bool> speaking_{false};      // audio of a reply is queued or playing
  std::atomic<int64_t> written_total_{0};  // samples the TTS stage wrote to the playback ring
  std::atomic<int64_t> reply_audio_start_{-1};  // written_total_ at the reply's first sample
  std::atomic<int64_t> reply_audio_start_reply_{-1};  // the reply reply_audio_start_ belongs to
  std::atomic<int64_t> tts_done_reply_{-1};      // last reply whose clauses were all synthesized
  std::atomic<int64_t> tts_done_written_{0};     // written_total_ at that moment
  PlaybackLedger ledger_;
  std::atomic<int64_t> ledger_reply_{-1};  // the reply the ledger holds
  mutable std::mutex current_clause_mutex_;
  ClauseSpan current_clause_;  // the clause being synthesized (span so far)
  int64_t tts_reply_ = -1;     // TTS thread only
  int64_t reply_written_ = 0;  // TTS thread only: samples of the current reply

  // Control stage state.
  std::unique_ptr<TurnController> turns_;
  int64_t next_reply_id_ = 1;
  int64_t control_reply_ = -1;        // reply started for the current turn (or a notice)
  bool control_reply_is_notice_ = false;
  bool first_audio_seen_ = false;
  int64_t awaiting_flush_written_ = -1;  // after a barge-in: playback silent once consumed >= this
  std::vector<std::string> pending_notices_;
  std::mutex notices_mutex_;
  std::vector<std::string> incoming_notices_;
  std::atomic<bool> stop_speaking_requested_{false};
  std::vector<std::string> turn_tool_calls_;  // guarded by tool_calls_mutex_
  std::mutex tool_calls_mutex_;

  // LLM stage state.
  mutable std::mutex history_mutex_;
  std::vector<llm::ChatMessage> history_;
  std::map<int64_t, size_t> reply_history_begin_;  // reply id -> index of its first message
  std::atomic<int64_t> llm_reply_{-1};  // reply the LLM is generating, -1 none

  mutable std::mutex status_mutex_;
  PipelineStatus status_;
  std::vector<std::string> errors_;

  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace parley::assistant
