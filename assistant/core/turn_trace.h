// Turn trace — per-turn timestamps on one clock, the turn controller that records them from the
// state machine's events, a JSON-lines writer (`--trace FILE`) and the p50/p90 summary per stage.
//
// Marks (microseconds on the pipeline's Clock; absent when the turn never got there):
//   speech_start, speech_end (the last one before the endpoint), endpoint, final_transcript,
//   first_token, first_clause, first_audio_out, barge_in, turn_end.
// Stages (kTraceStages): the durations the targets are stated in, e.g.
//   endpoint_to_first_audio (<= 300 ms p50) and speech_end_to_first_audio (<= 900 ms p50), and
//   barge_in_to_stop (audio silent within 100 ms of the interrupting onset).
//
// A barge-in ends the interrupted turn when playback is confirmed flushed (its turn_end) and opens
// the user's new turn at the onset (its speech_start), so both traces are complete.
//
// Contracts: TurnController is not thread-safe — one control thread feeds it every event (the
// stages post their events to it through a BoundedQueue). TraceWriter and TraceSummary are not
// thread-safe either; the controller's sink calls them on that same thread.
//
// Usage
//   TraceWriter writer("/tmp/turns.jsonl");           // throws parley::Error naming the file
//   TraceSummary summary;
//   TurnController turns(clock, [&](const TurnTrace& t) { writer.write(t); summary.add(t); });
//   TurnTransition tr = turns.on_event(TurnEvent::kSpeechStart);
//   ...
//   std::fputs(summary.to_text().c_str(), stderr);      // at exit
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/core/clock.h"
#include "assistant/core/turn_state.h"

namespace parley::assistant {

enum class TraceMark : uint8_t {
  kSpeechStart,
  kSpeechEnd,
  kEndpoint,
  kFinalTranscript,
  kFirstToken,
  kFirstClause,
  kFirstAudioOut,
  kBargeIn,
  kTurnEnd,
};
inline constexpr int kTraceMarkCount = 9;
std::string_view trace_mark_name(TraceMark mark);  // "speech_start", ...

struct TraceStage {
  std::string_view name;
  TraceMark from;
  TraceMark to;
};
inline constexpr std::array<TraceStage, 9> kTraceStages = {{
    {"endpoint_delay", TraceMark::kSpeechEnd, TraceMark::kEndpoint},
    {"transcript", TraceMark::kEndpoint, TraceMark::kFinalTranscript},
    {"first_token", TraceMark::kFinalTranscript, TraceMark::kFirstToken},
    {"first_clause", TraceMark::kFirstToken, TraceMark::kFirstClause},
    {"first_audio", TraceMark::kFirstClause, TraceMark::kFirstAudioOut},
    {"endpoint_to_first_audio", TraceMark::kEndpoint, TraceMark::kFirstAudioOut},
    {"speech_end_to_first_audio", TraceMark::kSpeechEnd, TraceMark::kFirstAudioOut},
    {"barge_in_to_stop", TraceMark::kBargeIn, TraceMark::kTurnEnd},
    {"turn", TraceMark::kSpeechStart, TraceMark::kTurnEnd},
}};

struct TurnTrace {
  int64_t turn_index = 0;  // 1, 2, ... per controller
  std::array<int64_t, kTraceMarkCount> marks_us;
  bool interrupted = false;  // ended by a barge-in
  bool cancelled = false;    // ended by a cancel event
  std::string transcript;    // the user's final text
  std::string reply;         // the reply as heard (after a barge-in: the heard part only)

  TurnTrace() { marks_us.fill(-1); }
  std::optional<int64_t> at(TraceMark mark) const;
  // `keep_first`: a later mark of the same kind does not overwrite (first token, first clause).
  void mark(TraceMark mark, int64_t at_us, bool keep_first);
  // Milliseconds from one mark to another, when both are present and in order.
  std::optional<double> stage_ms(const TraceStage& stage) const;
  // One line of JSON (no newline): {"turn":1,"interrupted":false,...,"t_us":{...},"stage_ms":{...}}
  std::string to_json_line() const;
};

class TurnController {
 public:
  using TraceSink = std::function<void(const TurnTrace&)>;

  TurnController(const Clock& clock, TraceSink on_turn_end);

  // Applies the event at clock.now_us() (or at `at_us`, e.g. a sample-accurate onset), records
  // its mark and emits finished traces to the sink. Returns the state machine's transition.
  TurnTransition on_event(TurnEvent event);
  TurnTransition on_event(TurnEvent event, int64_t at_us);

  TurnState state() const { return state_; }
  // The trace of the turn being heard or answered; nullptr in listening.
  TurnTrace* current() { return current_open_ ? &current_ : nullptr; }
  // The turn cut off by a barge-in, until its playback is confirmed flushed; else nullptr.
  TurnTrace* interrupted() { return interrupted_open_ ? &interrupted_ : nullptr; }

 private:
  void emit(TurnTrace& trace, int64_t at_us);

  const Clock& clock_;
  TraceSink sink_;
  TurnState state_ = TurnState::kListening;
  TurnTrace current_;
  bool current_open_ = false;
  TurnTrace interrupted_;
  bool interrupted_open_ = false;
  int64_t next_turn_index_ = 1;
};

// Appends one JSON line per turn to a file, flushed after each line.
class TraceWriter {
 public:
  explicit TraceWriter(const std::string& path);  // truncates; throws parley::Error naming it
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void write(const TurnTrace& trace);  // throws parley::Error naming the file on a write error

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

struct StageSummary {
  std::string_view name;
  size_t count = 0;  // turns that reached both marks
  double p50_ms = 0;
  double p90_ms = 0;
};

// Percentile of `values` (0 <= p <= 100) with linear interpolation between closest ranks — the
// same definition as numpy.percentile's default. Empty input: 0.
double percentile(std::vector<double> values, double p);

class TraceSummary {
 public:
  void add(const TurnTrace& trace);
  size_t turns() const { return turns_; }
  std::vector<StageSummary> stages() const;  // every stage in kTraceStages order
  // Human-readable table, one stage per line: "endpoint_to_first_audio  n=20  p50=212.0 ms ..."
  std::string to_text() const;
  std::string to_json() const;  // {"turns":20,"stages":{"endpoint_delay":{"n":..,"p50_ms":..}}}

 private:
  size_t turns_ = 0;
  std::array<std::vector<double>, kTraceStages.size()> samples_ms_;
};

}  // namespace parley::assistant
