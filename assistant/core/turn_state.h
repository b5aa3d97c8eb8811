// Turn state machine — who holds the floor, as a pure function of (state, event).
//
//   listening ──speech start──▶ hearing ──endpoint / final transcript──▶ thinking
//       ▲                                                                   │ first audio out
//       │ playback done (reply finished, or nothing to say)                 ▼
//       └──────────────────────────────────────────────────────────────── speaking
//   thinking / speaking ──barge-in onset (or speech start)──▶ interrupted ──playback done──▶
//   hearing any state ──cancel──▶ listening
//
// The pipeline feeds every event it observes; next_turn_state() says the new state and which
// actions the pipeline must take (flush playback, cancel the LLM, ...). Events that do not apply
// in a state (a late LLM token after a cancel, a second endpoint) are not errors: they are
// reported as not accepted and change nothing, because the stages run on their own threads and
// stale events are normal.
//
// Events inside a state that only record time (speech end while hearing, first token while
// thinking) are accepted and keep the state.
//
// Usage
//   TurnTransition t = next_turn_state(TurnState::kSpeaking, TurnEvent::kBargeInOnset);
//   // t.state == kInterrupted; t.actions has kFlushPlayback | kDropSpeechQueue | kCancelReply
//   if (has_action(t.actions, TurnAction::kCancelReply)) session.request_cancel();
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::assistant {

enum class TurnState : uint8_t { kListening, kHearing, kThinking, kSpeaking, kInterrupted };

enum class TurnEvent : uint8_t {
  kSpeechStart,      // VAD onset
  kSpeechEnd,        // VAD offset (the user may still resume)
  kEndpoint,         // the endpoint detector decided the utterance is over
  kFinalTranscript,  // the recognizer's final text for the utterance
  kFirstToken,       // the LLM produced its first reply piece
  kFirstClause,      // the first speakable clause went to TTS
  kFirstAudioOut,    // the first synthesized sample reached the playback device
  kPlaybackDone,     // playback drained (or was flushed after a barge-in)
  kBargeInOnset,     // the user started speaking over the reply
  kCancel,           // abandon the turn (empty transcript, "stop", shutdown)
};
inline constexpr int kTurnEventCount = 10;
inline constexpr int kTurnStateCount = 5;

// What the pipeline must do on a transition; a bit set.
enum class TurnAction : uint32_t {
  kNone = 0,
  kBeginTurn = 1u << 0,           // open a new TurnTrace
  kFinalizeTranscript = 1u << 1,  // ask the recognizer for its final text
  kStartReply = 1u << 2,          // send the transcript to the LLM
  kFlushPlayback = 1u << 3,       // drop queued speaker audio now
  kDropSpeechQueue = 1u << 4,     // drop clauses waiting for TTS, stop synthesis
  kCancelReply = 1u << 5,         // cancel LLM decoding
  kKeepHeardText = 1u << 6,       // truncate the assistant's history entry to what was heard
  kEndTurn = 1u << 7,             // close and emit the TurnTrace
};
constexpr TurnAction operator|(TurnAction a, TurnAction b) {
  return static_cast<TurnAction>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
constexpr bool has_action(TurnAction set, TurnAction action) {
  return (static_cast<uint32_t>(set) & static_cast<uint32_t>(action)) != 0;
}

struct TurnTransition {
  TurnState state;     // the new state (unchanged when !accepted)
  TurnAction actions;  // kNone when !accepted
  bool accepted;       // false: the event does not apply in this state and was ignored
};

TurnTransition next_turn_state(TurnState state, TurnEvent event);

std::string_view turn_state_name(TurnState state);  // "listening", "hearing", ...
std::string_view turn_event_name(TurnEvent event);  // "speech_start", ...
std::optional<TurnEvent> parse_turn_event(std::string_view name);

}  // namespace parley::assistant
