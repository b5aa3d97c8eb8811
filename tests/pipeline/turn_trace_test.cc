// TurnController on a simulated clock: the marks of a normal turn, a barge-in (two traces, the
// stop latency), a cancel; the JSON line; percentiles against hand-computed values; the writer.
#include "assistant/core/turn_trace.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <unistd.h>

#include "kernels/error.h"

namespace parley::assistant {
namespace {

struct Step {
  int64_t at_ms;
  TurnEvent event;
};

std::optional<double> stage_of(const TurnTrace& trace, std::string_view name) {
  for (const TraceStage& stage : kTraceStages) {
    if (stage.name == name) return trace.stage_ms(stage);
  }
  ADD_FAILURE() << "no stage " << name;
  return std::nullopt;
}

std::vector<TurnTrace> run_script(const std::vector<Step>& script) {
  SimulatedClock clock;
  std::vector<TurnTrace> finished;
  TurnController turns(clock, [&](const TurnTrace& t) { finished.push_back(t); });
  for (const Step& step : script) {
    clock.advance_us(step.at_ms * 1000 - clock.now_us());
    turns.on_event(step.event);
  }
  return finished;
}

TEST(TurnTrace, NormalTurnRecordsEveryMarkOnTheClock) {
  const std::vector<TurnTrace> traces = run_script({
      {1000, TurnEvent::kSpeechStart},
      {1800, TurnEvent::kSpeechEnd},
      {1900, TurnEvent::kSpeechStart},  // resumed: speech_start keeps the first onset
      {2500, TurnEvent::kSpeechEnd},    // the last offset counts
      {3100, TurnEvent::kEndpoint},
      {3150, TurnEvent::kFinalTranscript},
      {3300, TurnEvent::kFirstToken},
      {3320, TurnEvent::kFirstToken},  // later tokens do not move the mark
      {3450, TurnEvent::kFirstClause},
      {3500, TurnEvent::kFirstAudioOut},
      {5000, TurnEvent::kPlaybackDone},
      {5100, TurnEvent::kFirstToken},  // stale: ignored, no new trace
  });
  ASSERT_EQ(traces.size(), 1u);
  const TurnTrace& t = traces[0];
  EXPECT_EQ(t.turn_index, 1);
  const int64_t expected_ms[] = {1000, 2500, 3100, 3150, 3300, 3450, 3500, -1, 5000};
  for (int i = 0; i < kTraceMarkCount; ++i) {
    const int64_t want = expected_ms[i] < 0 ? -1 : expected_ms[i] * 1000;
    EXPECT_EQ(t.marks_us[i], want) << trace_mark_name(static_cast<TraceMark>(i));
  }
  EXPECT_FALSE(t.interrupted);
  EXPECT_FALSE(t.cancelled);
  // Stages from the same marks: endpoint -> first audio 400 ms, speech end -> first audio 1000 ms.
  EXPECT_EQ(stage_of(t, "endpoint_to_first_audio"), 400.0);
  EXPECT_EQ(stage_of(t, "speech_end_to_first_audio"), 1000.0);
  EXPECT_EQ(stage_of(t, "endpoint_delay"), 600.0);
  EXPECT_EQ(stage_of(t, "turn"), 4000.0);
  EXPECT_FALSE(stage_of(t, "barge_in_to_stop").has_value());
}

TEST(TurnTrace, BargeInEndsTheInterruptedTurnAtTheFlushAndOpensTheNextAtTheOnset) {
  SimulatedClock clock;
  std::vector<TurnTrace> finished;
  TurnController turns(clock, [&](const TurnTrace& t) { finished.push_back(t); });
  auto at = [&](int64_t ms, TurnEvent e) {
    clock.advance_us(ms * 1000 - clock.now_us());
    return turns.on_event(e);
  };
  at(0, TurnEvent::kSpeechStart);
  turns.current()->transcript = "tell me a story";
  at(900, TurnEvent::kSpeechEnd);
  at(1500, TurnEvent::kEndpoint);
  at(1550, TurnEvent::kFinalTranscript);
  at(1700, TurnEvent::kFirstToken);
  at(1800, TurnEvent::kFirstClause);
  at(1850, TurnEvent::kFirstAudioOut);
  const TurnTransition barge = at(4000, TurnEvent::kBargeInOnset);
  EXPECT_TRUE(has_action(barge.actions, TurnAction::kFlushPlayback));
  EXPECT_TRUE(has_action(barge.actions, TurnAction::kCancelReply));
  EXPECT_TRUE(has_action(barge.actions, TurnAction::kKeepHeardText));
  ASSERT_NE(turns.interrupted(), nullptr);
  ASSERT_NE(turns.current(), nullptr);
  turns.interrupted()->reply = "Once upon a time";
  EXPECT_TRUE(finished.empty()) << "the interrupted turn ends only when playback is silent";
  at(4040, TurnEvent::kPlaybackDone);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(turns.state(), TurnState::kHearing);
  EXPECT_EQ(turns.interrupted(), nullptr);
  const TurnTrace& cut = finished[0];
  EXPECT_TRUE(cut.interrupted);
  EXPECT_EQ(cut.reply, "Once upon a time");
  EXPECT_EQ(cut.transcript, "tell me a story");
  EXPECT_EQ(*cut.at(TraceMark::kBargeIn), 4'000'000);
  EXPECT_EQ(*cut.at(TraceMark::kTurnEnd), 4'040'000);
  EXPECT_EQ(stage_of(cut, "barge_in_to_stop"), 40.0);
  // The user's new turn began at the onset and goes on.
  at(4600, TurnEvent::kSpeechEnd);
  at(5200, TurnEvent::kEndpoint);
  at(5250, TurnEvent::kFinalTranscript);
  at(5600, TurnEvent::kFirstAudioOut);
  at(7000, TurnEvent::kPlaybackDone);
  ASSERT_EQ(finished.size(), 2u);
  const TurnTrace& next = finished[1];
  EXPECT_EQ(next.turn_index, 2);
  EXPECT_FALSE(next.interrupted);
  EXPECT_EQ(*next.at(TraceMark::kSpeechStart), 4'000'000);
  EXPECT_EQ(*next.at(TraceMark::kSpeechEnd), 4'600'000);
  EXPECT_EQ(*next.at(TraceMark::kTurnEnd), 7'000'000);
  EXPECT_EQ(turns.state(), TurnState::kListening);
}

TEST(TurnTrace, CancelDuringInterruptionEndsBothTurns) {
  SimulatedClock clock;
  std::vector<TurnTrace> finished;
  TurnController turns(clock, [&](const TurnTrace& t) { finished.push_back(t); });
  for (TurnEvent e : {TurnEvent::kSpeechStart, TurnEvent::kEndpoint, TurnEvent::kFinalTranscript,
                      TurnEvent::kFirstAudioOut, TurnEvent::kBargeInOnset}) {
    clock.advance_us(100'000);
    turns.on_event(e);
  }
  clock.advance_us(100'000);
  turns.on_event(TurnEvent::kCancel);
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_TRUE(finished[0].interrupted);
  EXPECT_FALSE(finished[0].cancelled);
  EXPECT_TRUE(finished[1].cancelled);
  EXPECT_EQ(turns.state(), TurnState::kListening);
  EXPECT_EQ(turns.current(), nullptr);
}

TEST(TurnTrace, JsonLineHasMarksStagesAndText) {
  TurnTrace t;
  t.turn_index = 7;
  t.transcript = "what time is it";
  t.reply = "It is \"seven\".";
  t.mark(TraceMark::kSpeechEnd, 1'000'000, false);
  t.mark(TraceMark::kEndpoint, 1'600'000, true);
  t.mark(TraceMark::kFirstAudioOut, 1'850'000, true);
  const std::string line = t.to_json_line();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["turn"], 7);
  EXPECT_EQ(j["reply"], "It is \"seven\".");
  EXPECT_EQ(j["t_us"]["endpoint"], 1'600'000);
  EXPECT_FALSE(j["t_us"].contains("first_token"));
  EXPECT_DOUBLE_EQ(j["stage_ms"]["endpoint_to_first_audio"].get<double>(), 250.0);
  EXPECT_DOUBLE_EQ(j["stage_ms"]["speech_end_to_first_audio"].get<double>(), 850.0);
  EXPECT_FALSE(j["stage_ms"].contains("first_token"));
  // Invalid UTF-8 in a transcript does not throw.
  t.transcript = std::string("caf\xc3", 4);
  EXPECT_NO_THROW(nlohmann::json::parse(t.to_json_line()));
}

TEST(TurnTrace, PercentilesMatchHandComputedValues) {
  // numpy.percentile([120, 80, 300, 95, 210], [50, 90]) == [120, 264]
  EXPECT_DOUBLE_EQ(percentile({120, 80, 300, 95, 210}, 50), 120.0);
  EXPECT_DOUBLE_EQ(percentile({120, 80, 300, 95, 210}, 90), 264.0);
  EXPECT_DOUBLE_EQ(percentile({10, 20}, 50), 15.0);
  EXPECT_DOUBLE_EQ(percentile({42}, 90), 42.0);
  EXPECT_DOUBLE_EQ(percentile({}, 50), 0.0);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 100), 4.0);
}

TEST(TurnTrace, SummaryCountsOnlyTurnsThatReachedBothMarks) {
  TraceSummary summary;
  const int64_t endpoint_to_audio_ms[] = {120, 80, 300, 95, 210};
  for (int64_t ms : endpoint_to_audio_ms) {
    TurnTrace t;
    t.mark(TraceMark::kEndpoint, 10'000'000, true);
    t.mark(TraceMark::kFirstAudioOut, 10'000'000 + ms * 1000, true);
    summary.add(t);
  }
  TurnTrace silent;  // a turn with no audio
  silent.mark(TraceMark::kEndpoint, 0, true);
  summary.add(silent);
  EXPECT_EQ(summary.turns(), 6u);
  bool found = false;
  for (const StageSummary& s : summary.stages()) {
    if (s.name != "endpoint_to_first_audio") continue;
    found = true;
    EXPECT_EQ(s.count, 5u);
    EXPECT_DOUBLE_EQ(s.p50_ms, 120.0);
    EXPECT_DOUBLE_EQ(s.p90_ms, 264.0);
  }
  EXPECT_TRUE(found);
  EXPECT_NE(summary.to_text().find("endpoint_to_first_audio"), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(summary.to_json());
  EXPECT_EQ(j["turns"], 6);
  EXPECT_DOUBLE_EQ(j["stages"]["endpoint_to_first_audio"]["p90_ms"].get<double>(), 264.0);
  EXPECT_FALSE(j["stages"].contains("first_token"));
}

TEST(TurnTrace, WriterWritesOneLinePerTurnAndNamesABadPath) {
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_trace_test.jsonl";
  {
    TraceWriter writer(path);
    TurnTrace t;
    for (int i = 1; i <= 3; ++i) {
      t.turn_index = i;
      writer.write(t);
    }
  }
  std::ifstream in(path);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) EXPECT_EQ(nlohmann::json::parse(line)["turn"], ++count);
  EXPECT_EQ(count, 3);
  try {
    TraceWriter bad("/nonexistent-dir/trace.jsonl");
    FAIL() << "opening a file in a missing folder must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/trace.jsonl"), std::string::npos);
  }
}

}  // namespace
}  // namespace parley::assistant
