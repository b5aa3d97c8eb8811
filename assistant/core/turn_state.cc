#include "assistant/core/turn_state.h"

#include <array>

namespace parley::assistant {

namespace {

using S = TurnState;
using E = TurnEvent;
using A = TurnAction;

// What a barge-in does to the reply in flight: silence it, stop making more, keep what was heard,
// and open the trace of the user's new turn at the onset.
constexpr TurnAction kInterruptReply =
    A::kFlushPlayback | A::kDropSpeechQueue | A::kCancelReply | A::kKeepHeardText | A::kBeginTurn;
constexpr TurnAction kAbandonReply =
    A::kFlushPlayback | A::kDropSpeechQueue | A::kCancelReply | A::kKeepHeardText | A::kEndTurn;

constexpr TurnTransition accept(TurnState state, TurnAction actions = A::kNone) {
  return {state, actions, true};
}

TurnTransition transition_from_listening(E event) {
  if (event == E::kSpeechStart) return accept(S::kHearing, A::kBeginTurn);
  return {S::kListening, A::kNone, false};
}

TurnTransition transition_from_hearing(E event) {
  switch (event) {
    case E::kSpeechStart:  // resumed after a pause
    case E::kSpeechEnd:
      return accept(S::kHearing);
    case E::kEndpoint:
      return accept(S::kThinking, A::kFinalizeTranscript);
    case E::kFinalTranscript:  // the recognizer finalized by itself
      return accept(S::kThinking, A::kStartReply);
    case E::kCancel:
      return accept(S::kListening, A::kEndTurn);
    default:
      return {S::kHearing, A::kNone, false};
  }
}

TurnTransition transition_from_thinking(E event) {
  switch (event) {
    case E::kFinalTranscript:
      return accept(S::kThinking, A::kStartReply);
    case E::kFirstToken:
    case E::kFirstClause:
      return accept(S::kThinking);
    case E::kFirstAudioOut:
      return accept(S::kSpeaking);
    case E::kPlaybackDone:  // a reply with nothing to say aloud (a silent tool call)
      return accept(S::kListening, A::kEndTurn);
    case E::kSpeechStart:
    case E::kBargeInOnset:
      return accept(S::kInterrupted, kInterruptReply);
    case E::kCancel:
      return accept(S::kListening, kAbandonReply);
    default:
      return {S::kThinking, A::kNone, false};
  }
}

TurnTransition transition_from_speaking(E event) {
  switch (event) {
    case E::kPlaybackDone:
      return accept(S::kListening, A::kEndTurn);
    case E::kSpeechStart:
    case E::kBargeInOnset:
      return accept(S::kInterrupted, kInterruptReply);
    case E::kCancel:
      return accept(S::kListening, kAbandonReply);
    default:
      return {S::kSpeaking, A::kNone, false};
  }
}

TurnTransition transition_from_interrupted(E event) {
  switch (event) {
    case E::kSpeechStart:  // the interrupting speech goes on
    case E::kSpeechEnd:
      return accept(S::kInterrupted);
    case E::kPlaybackDone:  // the speaker is silent: the interrupted turn ends, the user holds the
                            // floor
      return accept(S::kHearing, A::kEndTurn);
    case E::kCancel:
      return accept(S::kListening, A::kEndTurn);
    default:
      return {S::kInterrupted, A::kNone, false};
  }
}

constexpr std::array<std::string_view, kTurnStateCount> kStateNames = {
    "listening", "hearing", "thinking", "speaking", "interrupted"};
constexpr std::array<std::string_view, kTurnEventCount> kEventNames = {
    "speech_start", "speech_end",      "endpoint",      "final_transcript", "first_token",
    "first_clause", "first_audio_out", "playback_done", "barge_in_onset",   "cancel"};

}  // namespace

TurnTransition next_turn_state(TurnState state, TurnEvent event) {
  switch (state) {
    case S::kListening:
      return transition_from_listening(event);
    case S::kHearing:
      return transition_from_hearing(event);
    case S::kThinking:
      return transition_from_thinking(event);
    case S::kSpeaking:
      return transition_from_speaking(event);
    case S::kInterrupted:
      return transition_from_interrupted(event);
  }
  return {state, A::kNone, false};
}

std::string_view turn_state_name(TurnState state) {
  const auto index = static_cast<size_t>(state);
  return index < kStateNames.size() ? kStateNames[index] : "invalid";
}

std::string_view turn_event_name(TurnEvent event) {
  const auto index = static_cast<size_t>(event);
  return index < kEventNames.size() ? kEventNames[index] : "invalid";
}

std::optional<TurnEvent> parse_turn_event(std::string_view name) {
  for (size_t i = 0; i < kEventNames.size(); ++i) {
    if (kEventNames[i] == name) return static_cast<TurnEvent>(i);
  }
  return std::nullopt;
}

}  // namespace parley::assistant
