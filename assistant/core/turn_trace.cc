#include "assistant/core/turn_trace.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "kernels/error.h"

namespace parley::assistant {

namespace {

constexpr std::array<std::string_view, kTraceMarkCount> kMarkNames = {
    "speech_start", "speech_end",      "endpoint", "final_transcript", "first_token",
    "first_clause", "first_audio_out", "barge_in", "turn_end"};

// The mark an event records, and whether the first occurrence in a turn is the one kept.
struct EventMark {
  bool records;
  TraceMark mark;
  bool keep_first;
};

EventMark mark_of(TurnEvent event) {
  switch (event) {
    case TurnEvent::kSpeechStart:
      return {true, TraceMark::kSpeechStart, true};
    case TurnEvent::kSpeechEnd:  // the last offset before the endpoint is the one that counts
      return {true, TraceMark::kSpeechEnd, false};
    case TurnEvent::kEndpoint:
      return {true, TraceMark::kEndpoint, true};
    case TurnEvent::kFinalTranscript:
      return {true, TraceMark::kFinalTranscript, true};
    case TurnEvent::kFirstToken:
      return {true, TraceMark::kFirstToken, true};
    case TurnEvent::kFirstClause:
      return {true, TraceMark::kFirstClause, true};
    case TurnEvent::kFirstAudioOut:
      return {true, TraceMark::kFirstAudioOut, true};
    default:
      return {false, TraceMark::kTurnEnd, true};
  }
}

std::string format_ms(double ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", ms);
  return buffer;
}

}  // namespace

std::string_view trace_mark_name(TraceMark mark) {
  const auto index = static_cast<size_t>(mark);
  return index < kMarkNames.size() ? kMarkNames[index] : "invalid";
}

std::optional<int64_t> TurnTrace::at(TraceMark mark) const {
  const int64_t t = marks_us[static_cast<size_t>(mark)];
  if (t < 0) return std::nullopt;
  return t;
}

void TurnTrace::mark(TraceMark mark, int64_t at_us, bool keep_first) {
  int64_t& slot = marks_us[static_cast<size_t>(mark)];
  if (keep_first && slot >= 0) return;
  slot = at_us;
}

std::optional<double> TurnTrace::stage_ms(const TraceStage& stage) const {
  const auto from = at(stage.from);
  const auto to = at(stage.to);
  if (!from || !to || *to < *from) return std::nullopt;
  return static_cast<double>(*to - *from) / 1000.0;
}

std::string TurnTrace::to_json_line() const {
  nlohmann::ordered_json line;
  line["turn"] = turn_index;
  line["interrupted"] = interrupted;
  line["cancelled"] = cancelled;
  line["transcript"] = transcript;
  line["reply"] = reply;
  nlohmann::ordered_json times = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kMarkNames.size(); ++i) {
    if (marks_us[i] >= 0) times[std::string(kMarkNames[i])] = marks_us[i];
  }
  line["t_us"] = std::move(times);
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const TraceStage& stage : kTraceStages) {
    if (const auto ms = stage_ms(stage)) stages[std::string(stage.name)] = *ms;
  }
  line["stage_ms"] = std::move(stages);
  // Replace invalid UTF-8 (a transcript cut mid-character) instead of throwing.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

TurnController::TurnController(const Clock& clock, TraceSink on_turn_end)
    : clock_(clock), sink_(std::move(on_turn_end)) {}

TurnTransition TurnController::on_event(TurnEvent event) {
  return on_event(event, clock_.now_us());
}

TurnTransition TurnController::on_event(TurnEvent event, int64_t at_us) {
  const TurnTransition transition = next_turn_state(state_, event);
  if (!transition.accepted) return transition;

  if (transition.state == TurnState::kInterrupted && state_ != TurnState::kInterrupted) {
    // The reply in flight becomes the interrupted turn; it ends when playback is flushed.
    interrupted_ = std::move(current_);
    interrupted_open_ = current_open_;
    interrupted_.interrupted = true;
    interrupted_.mark(TraceMark::kBargeIn, at_us, true);
    current_open_ = false;
  }
  if (has_action(transition.actions, TurnAction::kBeginTurn)) {
    current_ = TurnTrace();
    current_.turn_index = next_turn_index_++;
    current_.mark(TraceMark::kSpeechStart, at_us, true);
    current_open_ = true;
  } else if (current_open_) {
    const EventMark m = mark_of(event);
    if (m.records) current_.mark(m.mark, at_us, m.keep_first);
  }
  if (has_action(transition.actions, TurnAction::kEndTurn)) {
    const bool cancelled = event == TurnEvent::kCancel;
    if (interrupted_open_) {
      interrupted_open_ = false;
      emit(interrupted_, at_us);
    }
    // Playback done after a barge-in ends only the interrupted turn; the new one goes on.
    if (current_open_ && transition.state == TurnState::kListening) {
      current_.cancelled = cancelled;
      current_open_ = false;
      emit(current_, at_us);
    }
  }
  state_ = transition.state;
  return transition;
}

void TurnController::emit(TurnTrace& trace, int64_t at_us) {
  trace.mark(TraceMark::kTurnEnd, at_us, true);
  if (sink_) sink_(trace);
}

TraceWriter::TraceWriter(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "w");
  if (!file_)
    throw Error("trace file " + path + ": cannot open for writing: " + std::strerror(errno));
}

TraceWriter::~TraceWriter() {
  if (file_) std::fclose(file_);
}

void TraceWriter::write(const TurnTrace& trace) {
  const std::string line = trace.to_json_line() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    throw Error("trace file " + path_ + ": write failed: " + std::strerror(errno));
  }
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

void TraceSummary::add(const TurnTrace& trace) {
  ++turns_;
  for (size_t i = 0; i < kTraceStages.size(); ++i) {
    if (const auto ms = trace.stage_ms(kTraceStages[i])) samples_ms_[i].push_back(*ms);
  }
}

std::vector<StageSummary> TraceSummary::stages() const {
  std::vector<StageSummary> out;
  for (size_t i = 0; i < kTraceStages.size(); ++i) {
    out.push_back({kTraceStages[i].name, samples_ms_[i].size(), percentile(samples_ms_[i], 50),
                   percentile(samples_ms_[i], 90)});
  }
  return out;
}

std::string TraceSummary::to_text() const {
  std::string text = "turn trace: " + std::to_string(turns_) + " turns\n";
  for (const StageSummary& s : stages()) {
    if (s.count == 0) continue;
    char line[160];
    std::snprintf(line, sizeof line, "  %-26s n=%-4zu p50=%8s ms  p90=%8s ms\n",
                  std::string(s.name).c_str(), s.count, format_ms(s.p50_ms).c_str(),
                  format_ms(s.p90_ms).c_str());
    text += line;
  }
  return text;
}

std::string TraceSummary::to_json() const {
  nlohmann::ordered_json summary;
  summary["turns"] = turns_;
  nlohmann::ordered_json stages_json = nlohmann::ordered_json::object();
  for (const StageSummary& s : stages()) {
    if (s.count == 0) continue;
    stages_json[std::string(s.name)] = {{"n", s.count}, {"p50_ms", s.p50_ms}, {"p90_ms", s.p90_ms}};
  }
  summary["stages"] = std::move(stages_json);
  return summary.dump();
}

}  // namespace parley::assistant
