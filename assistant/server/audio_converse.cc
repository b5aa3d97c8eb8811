#include "assistant/server/audio_converse.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "assistant/server/audio_codec.h"
#include "assistant/server/audio_routes.h"
#include "assistant/server/audio_transcriber.h"
#include "assistant/server/event_bus.h"
#include "assistant/server/server_context.h"
#include "assistant/server/sse.h"
#include "llm/conversation.h"
#include "llm/model.h"
#include "tts/clause_chunker.h"
#include "tts/text_shaping.h"
#include "tts/voice.h"

namespace parley::assistant::server {
namespace {

using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

double ms_since(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

class Turn {
 public:
  Turn(const ConverseEngines& engines, const FrameSink& send) : engines_(engines), send_(send) {}

  bool run(const audio::SoundBuffer& mono) {
    try {
      const Transcript transcript = transcribe_sound(*engines_.recognizer, mono, engines_.pool);
      timing_["asr"] = ms_since(start_);
      transcript_ = transcript.text();
      json segments = json::array();
      for (const TranscriptSegment& s : transcript.segments) {
        segments.push_back({{"start", s.start_seconds}, {"end", s.end_seconds}, {"text", s.text}});
      }
      if (!emit("transcript", {{"text", transcript_},
                               {"segments", segments},
                               {"duration", transcript.duration_seconds}})) {
        return false;
      }
      publish("final", {{"request_id", engines_.request_id}, {"text", transcript_}});
      if (!transcript_.empty()) {
        engines_.reply(transcript_, [this](std::string_view piece) { return on_piece(piece); });
        if (!client_alive_) return false;
        std::vector<std::string> clauses;
        chunker_.finish(clauses);
        for (const std::string& clause : clauses) {
          if (!speak(clause)) return false;
        }
      }
      timing_["total"] = ms_since(start_);
      publish("turn", {{"request_id", engines_.request_id},
                       {"route", "/v1/converse"},
                       {"transcript", transcript_},
                       {"reply", reply_},
                       {"total_ms", timing_["total"]}});
      return emit("done", {{"transcript", transcript_},
                           {"reply", reply_},
                           {"audio_seconds", audio_seconds_},
                           {"timing_ms", timing_}});
    } catch (const std::exception& e) {
      if (!client_alive_) return false;
      publish("error", {{"request_id", engines_.request_id}, {"message", e.what()}});
      return emit("error", {{"error",
                             {{"message", e.what()},
                              {"type", "server_error"},
                              {"param", nullptr},
                              {"code", "converse_failed"}}}});
    }
  }

 private:
  bool emit(std::string_view event, const json& data) {
    if (!client_alive_) return false;
    if (!send_(sse_frame(data.dump(-1, ' ', false, json::error_handler_t::replace), event)))
      client_alive_ = false;
    return client_alive_;
  }

  void publish(const std::string& type, json data) {
    if (engines_.events != nullptr) engines_.events->publish(type, std::move(data));
  }

  bool on_piece(std::string_view piece) {
    if (!client_alive_) return false;
    if (!timing_.contains("first_token")) timing_["first_token"] = ms_since(start_);
    reply_ += piece;
    publish("token", {{"request_id", engines_.request_id}, {"text", std::string(piece)}});
    if (!emit("token", {{"text", std::string(piece)}})) {
      if (engines_.cancel_reply) engines_.cancel_reply();
      return false;
    }
    std::vector<std::string> clauses;
    chunker_.push(piece, clauses);
    for (const std::string& clause : clauses) {
      if (!speak(clause)) {
        if (engines_.cancel_reply) engines_.cancel_reply();
        return false;
      }
    }
    return true;
  }

  bool speak(const std::string& clause) {
    if (engines_.voice == nullptr) return client_alive_;
    const std::string text = tts::shape_text_for_speech(clause);
    if (text.empty()) return client_alive_;
    publish("speaking", {{"request_id", engines_.request_id}, {"text", text}});
    const std::vector<float> samples = tts::synthesize_to_vector(*engines_.voice, text);
    if (samples.empty()) return client_alive_;
    const int rate = engines_.voice->sample_rate_hz();
    if (!timing_.contains("first_audio")) timing_["first_audio"] = ms_since(start_);
    audio_seconds_ += static_cast<double>(samples.size()) / rate;
    return emit("audio", {{"index", audio_index_++},
                          {"text", text},
                          {"format", "wav"},
                          {"sample_rate", rate},
                          {"audio", base64_encode(wav_bytes(samples, rate))}});
  }

  const ConverseEngines& engines_;
  const FrameSink& send_;
  const SteadyClock::time_point start_ = SteadyClock::now();
  tts::ClauseChunker chunker_;
  json timing_ = json::object();
  std::string transcript_;
  std::string reply_;
  double audio_seconds_ = 0;
  int audio_index_ = 0;
  bool client_alive_ = true;
};

}  // namespace

bool run_converse_turn(const ConverseEngines& engines, const audio::SoundBuffer& mono,
                       const FrameSink& send) {
  if (engines.recognizer == nullptr || !engines.reply) {
    throw Error("run_converse_turn: a recognizer and a reply generator are required");
  }
  Turn turn(engines, send);
  return turn.run(mono);
}

ReplyGenerator make_server_reply(ServerContext& context, kernels::ThreadPool& pool,
                                 std::function<void()>* cancel) {
  if (!context.llm_model) {
    const std::string fallback = context.config.remote_llm.fallback_message;
    return [fallback](const std::string&, const PieceSink& on_piece) {
      on_piece(fallback);
      return fallback;
    };
  }
  const LlmSettings& settings = context.config.llm;
  auto session = std::make_shared<llm::Session>(
      *context.llm_model, pool,
      llm::SessionConfig{.context_length = context.options.context_length != 0
                                               ? context.options.context_length
                                               : settings.context_length});
  llm::ConversationConfig config;
  config.system_prompt = settings.system_prompt;
  config.max_tokens = settings.max_tokens;
  config.sampler.temperature = settings.temperature;
  config.sampler.seed = static_cast<uint64_t>(settings.seed);
  auto conversation = std::make_shared<llm::Conversation>(*session, config);
  if (cancel != nullptr) *cancel = [session] { session->request_cancel(); };
  return [session, conversation](const std::string& user_text, const PieceSink& on_piece) {
    bool stopped = false;
    return conversation->reply(user_text, [&](std::string_view piece) {
      if (!stopped && !on_piece(piece)) {
        stopped = true;
        session->request_cancel();
      }
    });
  };
}

}  // namespace parley::assistant::server
