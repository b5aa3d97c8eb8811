// Routes of the OpenAI-compatible chat API: POST /v1/chat/completions, GET /v1/models and
// GET /v1/models/{id}. See openai_chat.h for the schema and chat_runner.h for generation.
//
// Behaviour
//   * "model" absent or equal to the chat model's id; another id → 404 model_not_found; no chat
//     model loaded → 404 for a named model, 503 model_not_loaded otherwise.
//   * Defaults from the configuration (llm.max_tokens, llm.temperature); top_p defaults to 1
//     (no top-k, no min-p: OpenAI's sampling). Without "seed" each request draws a fresh seed.
//   * Each request waits for a WorkQueue lease (429 queue full / 503 timeout or shutdown, with
//     Retry-After), then runs on a Session of its own with the lease's thread pool.
//   * stream: true → text/event-stream of "data: {chunk}" lines: a first chunk with the role,
//     one per text piece, a last one with finish_reason and usage, an extra usage-only chunk
//     when stream_options.include_usage, then "data: [DONE]". A client that disconnects stops
//     generation within one token.
//   * Events published: request, token (only while /events has subscribers), turn, error.
#pragma once

namespace httplib {
class Server;
}

namespace parley::assistant::server {

struct ServerContext;

void register_chat_routes(httplib::Server& server, ServerContext& context);

}  // namespace parley::assistant::server
