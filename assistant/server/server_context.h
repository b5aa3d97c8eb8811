// ServerContext — the state every route of `parley serve` shares: options, configuration,
// logger, loaded models, the admission queue for model work, metrics and the event bus.
//
// Built once by the server before it starts listening, then handed by reference to every
// route-registering function (register_chat_routes, register_audio_routes, ...). It outlives
// the httplib::Server and every request.
//
//   ServerContext context(options, config, logger);
//   context.load_models({.llm = "chat.gguf", .asr = "zipformer2/", .voice = "espeak:en-us"});
//   register_audio_routes(server, context);
//
// Thread safety: every member may be used from any request thread at once.
//   * The models are immutable after load_models() (llm::Model, asr::Recognizer): share them
//     read-only; each request makes its own llm::Session / asr::Stream / tts::Voice.
//   * Model work must run inside a WorkQueue lease (work_queue.h) so the queue bounds it:
//       WorkQueue::Admission a = context.work_queue.acquire(...);   // see work_queue.h
//     and the lease's thread pool is the one to compute on (one job per pool at a time).
//   * metrics and events are internally synchronised.
//   * `ready` turns true after load_models(); `stopping` turns true when shutdown begins —
//     long-running routes (streams) should poll it and end cleanly.
//
// Helpers for routes live in api_error.h (OpenAI error object, admission → 429/503) and sse.h
// (server-sent events framing).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "assistant/core/config.h"
#include "assistant/server/event_bus.h"
#include "assistant/server/metrics.h"
#include "assistant/server/server_options.h"
#include "assistant/server/work_queue.h"

namespace spdlog {
class logger;
}
namespace parley::llm {
class Model;
}
namespace parley::asr {
class Recognizer;
}

namespace parley::assistant::server {

// Which models to load; "" = none of that kind (chat then answers 503 model_not_loaded, or
// 404 model_not_found when the request names a model).
struct ModelPaths {
  std::string llm = {};    // GGUF file
  std::string asr = {};    // streaming transducer model folder
  std::string voice = {};  // tts voice spec ("espeak:en-us" or a Piper .onnx); "" = none
};

struct ServerContext {
  ServerContext(ServerOptions options, AssistantConfig config,
                std::shared_ptr<spdlog::logger> logger);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  // Loads every model named in `paths` (throws parley::Error naming the file), then sets ready.
  void load_models(const ModelPaths& paths);

  const ServerOptions options;   // address, key, limits (validated)
  const AssistantConfig config;  // the appliance configuration (llm.*, voice.*, devices.*, ...)
  std::shared_ptr<spdlog::logger> logger;  // never null; access log and errors go here

  // Chat model: null when none is loaded. llm_model_id is what /v1/models lists and what a
  // request's "model" must name (or be absent); llm_created_unix is its file's mtime.
  std::shared_ptr<const llm::Model> llm_model;
  std::string llm_model_id;
  int64_t llm_created_unix = 0;

  // Speech recognition: null when none is loaded. Create one asr::Stream per request with the
  // lease's pool (recognizer->create_stream(&lease.pool())). asr_model_id names it
  // (the folder's name) for /v1/models and the "model" field of transcription requests.
  std::shared_ptr<const asr::Recognizer> asr_recognizer;
  std::string asr_model_id;

  // Speech synthesis: the voice spec to open per request with tts::open_voice ("" = none);
  // the configuration's voice settings (speaker, length_scale, ...) are config.voice.
  std::string voice_spec;

  WorkQueue work_queue;     // admission for model work: workers + bounded waiting line
  MetricsRegistry metrics;  // Prometheus families; see metrics.h for the names in use
  EventBus events;          // turn events served by GET /events; see event_bus.h for types

  std::atomic<bool> ready{false};     // models loaded: GET /ready answers 200
  std::atomic<bool> stopping{false};  // shutdown started: new model work gets 503; running
                                      // streams may finish within options.shutdown_grace_ms
  std::atomic<bool> cancel_model_work{false};  // the grace ran out: model loops stop now and
                                               // streams end with a final error event

  // A fresh id for a request, unique within the process: "<prefix>-<16 hex digits>".
  std::string next_request_id(std::string_view prefix);

  // `serve --listen`: how to stop the device pipeline's speech (POST /v1/stop, the kiosk's Stop
  // button). Empty = nothing listens. Any thread.
  void set_stop_speaking(std::function<void()> stop);
  bool stop_speaking();  // false when nothing listens

 private:
  std::mutex stop_speaking_mutex_;
  std::function<void()> stop_speaking_;
  std::atomic<uint64_t> request_counter_{0};
};

}  // namespace parley::assistant::server
