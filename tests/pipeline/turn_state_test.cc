// The turn state machine, every (state, event) pair against a table written from the design in
// assistant/core/turn_state.h.
#include "assistant/core/turn_state.h"

#include <gtest/gtest.h>

namespace parley::assistant {
namespace {

using S = TurnState;
using E = TurnEvent;
using A = TurnAction;

struct Row {
  S from;
  E event;
  bool accepted;
  S to;
  TurnAction actions;
};

constexpr TurnAction kInterrupt =
    A::kFlushPlayback | A::kDropSpeechQueue | A::kCancelReply | A::kKeepHeardText | A::kBeginTurn;
constexpr TurnAction kAbandon =
    A::kFlushPlayback | A::kDropSpeechQueue | A::kCancelReply | A::kKeepHeardText | A::kEndTurn;

// Every accepted transition; every pair not listed must be ignored.
const Row kAccepted[] = {
    {S::kListening, E::kSpeechStart, true, S::kHearing, A::kBeginTurn},
    {S::kHearing, E::kSpeechStart, true, S::kHearing, A::kNone},
    {S::kHearing, E::kSpeechEnd, true, S::kHearing, A::kNone},
    {S::kHearing, E::kEndpoint, true, S::kThinking, A::kFinalizeTranscript},
    {S::kHearing, E::kFinalTranscript, true, S::kThinking, A::kStartReply},
    {S::kHearing, E::kCancel, true, S::kListening, A::kEndTurn},
    {S::kThinking, E::kFinalTranscript, true, S::kThinking, A::kStartReply},
    {S::kThinking, E::kFirstToken, true, S::kThinking, A::kNone},
    {S::kThinking, E::kFirstClause, true, S::kThinking, A::kNone},
    {S::kThinking, E::kFirstAudioOut, true, S::kSpeaking, A::kNone},
    {S::kThinking, E::kPlaybackDone, true, S::kListening, A::kEndTurn},
    {S::kThinking, E::kSpeechStart, true, S::kInterrupted, kInterrupt},
    {S::kThinking, E::kBargeInOnset, true, S::kInterrupted, kInterrupt},
    {S::kThinking, E::kCancel, true, S::kListening, kAbandon},
    {S::kSpeaking, E::kPlaybackDone, true, S::kListening, A::kEndTurn},
    {S::kSpeaking, E::kSpeechStart, true, S::kInterrupted, kInterrupt},
    {S::kSpeaking, E::kBargeInOnset, true, S::kInterrupted, kInterrupt},
    {S::kSpeaking, E::kCancel, true, S::kListening, kAbandon},
    {S::kInterrupted, E::kSpeechStart, true, S::kInterrupted, A::kNone},
    {S::kInterrupted, E::kSpeechEnd, true, S::kInterrupted, A::kNone},
    {S::kInterrupted, E::kPlaybackDone, true, S::kHearing, A::kEndTurn},
    {S::kInterrupted, E::kCancel, true, S::kListening, A::kEndTurn},
};

TEST(TurnState, EveryStateEventPairMatchesTheTable) {
  int accepted_count = 0;
  for (int s = 0; s < kTurnStateCount; ++s) {
    for (int e = 0; e < kTurnEventCount; ++e) {
      const auto state = static_cast<S>(s);
      const auto event = static_cast<E>(e);
      const TurnTransition t = next_turn_state(state, event);
      const Row* expected = nullptr;
      for (const Row& row : kAccepted) {
        if (row.from == state && row.event == event) expected = &row;
      }
      SCOPED_TRACE(std::string(turn_state_name(state)) + " + " +
                   std::string(turn_event_name(event)));
      if (expected) {
        ++accepted_count;
        EXPECT_TRUE(t.accepted);
        EXPECT_EQ(t.state, expected->to);
        EXPECT_EQ(static_cast<uint32_t>(t.actions), static_cast<uint32_t>(expected->actions));
      } else {
        EXPECT_FALSE(t.accepted);
        EXPECT_EQ(t.state, state) << "an ignored event must not change the state";
        EXPECT_EQ(t.actions, A::kNone);
      }
    }
  }
  EXPECT_EQ(accepted_count, static_cast<int>(std::size(kAccepted)));
}

TEST(TurnState, AFullTurnWithBargeInWalksTheExpectedStates) {
  const E script[] = {E::kSpeechStart,   E::kSpeechEnd,   E::kEndpoint,      E::kFinalTranscript,
                      E::kFirstToken,    E::kFirstClause, E::kFirstAudioOut, E::kBargeInOnset,
                      E::kPlaybackDone,  E::kSpeechEnd,   E::kEndpoint,      E::kFinalTranscript,
                      E::kFirstAudioOut, E::kPlaybackDone};
  const S expected[] = {S::kHearing,  S::kHearing,  S::kThinking,    S::kThinking, S::kThinking,
                        S::kThinking, S::kSpeaking, S::kInterrupted, S::kHearing,  S::kHearing,
                        S::kThinking, S::kThinking, S::kSpeaking,    S::kListening};
  S state = S::kListening;
  for (size_t i = 0; i < std::size(script); ++i) {
    const TurnTransition t = next_turn_state(state, script[i]);
    ASSERT_TRUE(t.accepted) << i;
    state = t.state;
    EXPECT_EQ(state, expected[i]) << "step " << i << " " << turn_event_name(script[i]);
  }
}

TEST(TurnState, StaleEventsAfterCancelAreIgnored) {
  // The LLM thread may deliver a token after the control thread cancelled the turn.
  TurnTransition t = next_turn_state(S::kThinking, E::kCancel);
  ASSERT_EQ(t.state, S::kListening);
  for (E late :
       {E::kFirstToken, E::kFirstClause, E::kFirstAudioOut, E::kPlaybackDone, E::kEndpoint}) {
    const TurnTransition ignored = next_turn_state(t.state, late);
    EXPECT_FALSE(ignored.accepted) << turn_event_name(late);
    EXPECT_EQ(ignored.state, S::kListening);
  }
}

TEST(TurnState, NamesRoundTrip) {
  for (int e = 0; e < kTurnEventCount; ++e) {
    const auto event = static_cast<E>(e);
    const auto parsed = parse_turn_event(turn_event_name(event));
    ASSERT_TRUE(parsed.has_value()) << turn_event_name(event);
    EXPECT_EQ(*parsed, event);
  }
  EXPECT_FALSE(parse_turn_event("speech-start").has_value());
  EXPECT_EQ(turn_state_name(S::kInterrupted), "interrupted");
}

}  // namespace
}  // namespace parley::assistant
