// One /v1/converse turn: recorded audio in → transcript → reply text streamed → reply audio, all
// as server-sent-event frames (the event names and payloads are documented in audio_routes.h).
//
// run_converse_turn() is the whole turn on the calling thread, independent of HTTP: the route
// hands it the request's engines and a frame sink that writes to the socket; tests hand it a
// vector. Order: transcribe (audio_transcriber.h) → "transcript" → reply pieces → "token" each;
// the pieces go through a tts::ClauseChunker and every finished clause is shaped, synthesized
// and sent as one "audio" event (a complete WAV, base64) before the next piece is generated →
// "done". A reply generator or voice that throws ends the stream with an "error" event.
// With `events` set, the turn is published to the event bus: final, token, speaking, turn.
//
// Contracts
//   * Returns false when `send` failed (the client went away): the reply is cancelled through
//     `cancel_reply` and no more frames are sent. Otherwise true (also after an "error" frame).
//   * Engines are used by this thread only for the turn's duration.
//
// Usage
//   ConverseEngines engines{.recognizer = &recognizer, .pool = &pool, .voice = voice.get(),
//                           .reply = [](const std::string& user, const PieceSink& on_piece) {
//                             on_piece("Hello."); return std::string("Hello."); }};
//   run_converse_turn(engines, sound, [&](const std::string& frame) { return write(frame); });
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "audio/sound_file.h"

namespace parley::asr {
class Recognizer;
}
namespace parley::kernels {
class ThreadPool;
}
namespace parley::tts {
class Voice;
}

namespace parley::assistant::server {

class EventBus;
struct ServerContext;

using PieceSink = std::function<bool(std::string_view piece)>;  // false: stop generating
using ReplyGenerator = std::function<std::string(const std::string& user_text, const PieceSink&)>;

struct ConverseEngines {
  const asr::Recognizer* recognizer = nullptr;  // required
  kernels::ThreadPool* pool = nullptr;          // for the ASR stream; null = the stream's own
  tts::Voice* voice = nullptr;                  // null: no audio events
  ReplyGenerator reply;                         // required
  std::function<void()> cancel_reply;           // optional: stop `reply` from inside a sink
  EventBus* events = nullptr;                   // optional
  std::string request_id = "converse";
};

using FrameSink = std::function<bool(const std::string& frame)>;

bool run_converse_turn(const ConverseEngines& engines, const audio::SoundBuffer& mono,
                       const FrameSink& send);

// The reply generator of a running server: the context's chat model (a fresh llm::Session on
// `pool` with the configured system prompt, max_tokens, temperature and seed), or — with no
// chat model loaded — one that answers config.llm.fallback_message. `cancel` receives the
// function that stops a generation in progress.
ReplyGenerator make_server_reply(ServerContext& context, kernels::ThreadPool& pool,
                                 std::function<void()>* cancel);

}  // namespace parley::assistant::server
