#include "assistant/server/chat_routes.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "assistant/server/api_error.h"
#include "assistant/server/chat_runner.h"
#include "assistant/server/openai_chat.h"
#include "assistant/server/route_helpers.h"
#include "assistant/server/server_context.h"
#include "assistant/server/sse.h"
#include "kernels/error.h"
#include "llm/model.h"

namespace parley::assistant::server {

namespace {

using nlohmann::json;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json model_object(const std::string& id, int64_t created) {
  return json{{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "parley"}};
}

json models_list(const ServerContext& context) {
  json data = json::array();
  if (context.llm_model)
    data.push_back(model_object(context.llm_model_id, context.llm_created_unix));
  if (context.asr_recognizer)
    data.push_back(model_object(context.asr_model_id, context.llm_created_unix));
  if (!context.voice_spec.empty())
    data.push_back(model_object(context.voice_spec, context.llm_created_unix));
  return json{{"object", "list"}, {"data", data}};
}

// The job for a parsed request: the configuration's defaults, OpenAI's sampling otherwise.
ChatJob make_job(const ServerContext& context, const ChatCompletionRequest& request) {
  ChatJob job;
  job.messages = request.messages;
  if (request.tools.is_array() &&
      chat_template_supports_tools(
          context.llm_model->gguf().find_string("tokenizer.chat_template"))) {
    job.messages = with_tools(job.messages, request.tools);
    // The calls the model writes are decoded under the tools' grammar (tools.constrain_calls).
    if (context.config.tools.constrain_calls) {
      try {
        job.tool_calls = llm::tool_call_specs_from_json(request.tools, "request");
      } catch (const Error& e) {
        throw ApiError(400, e.what(), "tools", "invalid_value");
      }
      // tool_choice "required" / a named tool: the reply starts with a call (of that tool).
      if (!request.forced_tool.empty()) {
        std::erase_if(job.tool_calls, [&](const llm::ToolCallSpec& t) { return t.name != request.forced_tool; });
      }
      job.tool_call_required = request.tool_call_required;
    }
  }
  job.max_tokens = request.max_tokens.value_or(context.config.llm.max_tokens);
  job.stop = request.stop;
  job.context_length_limit =
      context.options.context_length > 0 ? context.options.context_length : 4096;
  llm::SamplerConfig& s = job.sampler;
  s.temperature = static_cast<float>(request.temperature.value_or(context.config.llm.temperature));
  s.top_p = static_cast<float>(request.top_p.value_or(1.0));
  s.top_k = 0;
  s.min_p = 0.0f;
  s.presence_penalty = static_cast<float>(request.presence_penalty.value_or(0.0));
  s.frequency_penalty = static_cast<float>(request.frequency_penalty.value_or(0.0));
  s.seed = request.seed ? *request.seed
                        : std::random_device{}() * 0x9E3779B97F4A7C15ull + std::random_device{}();
  s.validate();
  return job;
}

struct ChatMetrics {
  Histogram& latency;
  Histogram& ttft;
  Histogram& tokens_per_second;
  Counter& prompt_tokens;
  Counter& completion_tokens;
  Counter& cancelled;

  explicit ChatMetrics(MetricsRegistry& m)
      : latency(m.histogram("parley_chat_seconds",
                            "Chat completion latency, admission to last token",
                            kLatencyBucketsSeconds)),
        ttft(m.histogram("parley_chat_ttft_seconds",
                         "Chat time to first token (queue wait included)", kLatencyBucketsSeconds)),
        tokens_per_second(m.histogram("parley_chat_tokens_per_second",
                                      "Chat decode speed per request",
                                      {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000})),
        prompt_tokens(m.counter("parley_chat_tokens_total", "Chat tokens", {{"kind", "prompt"}})),
        completion_tokens(
            m.counter("parley_chat_tokens_total", "Chat tokens", {{"kind", "completion"}})),
        cancelled(m.counter("parley_chat_cancelled_total",
                            "Chat completions ended early (client gone, shutdown)")) {}
};

// Everything one admitted request needs after the handler returned (streaming runs later).
struct ChatCall {
  ServerContext& context;
  ChatMetrics& metrics;
  ChatJob job;
  CompletionIds ids;
  bool include_usage = false;
  bool tools_requested = false;
  std::chrono::steady_clock::time_point received;
  std::optional<WorkQueue::Lease> lease;
};

void record_outcome(ChatCall& call, const ChatOutcome& outcome) {
  const double queue_s = std::chrono::duration<double>(call.lease->waited()).count();
  const double decode_s = outcome.total_seconds - outcome.prefill_seconds;
  const double tokens_per_s = decode_s > 0 && outcome.completion_tokens > 1
                                  ? (outcome.completion_tokens - 1) / decode_s
                                  : 0.0;
  call.metrics.latency.observe(queue_s + outcome.total_seconds);
  if (outcome.first_piece_seconds >= 0)
    call.metrics.ttft.observe(queue_s + outcome.first_piece_seconds);
  if (tokens_per_s > 0) call.metrics.tokens_per_second.observe(tokens_per_s);
  call.metrics.prompt_tokens.inc(outcome.prompt_tokens);
  call.metrics.completion_tokens.inc(outcome.completion_tokens);
  if (outcome.finish_reason == "cancelled") call.metrics.cancelled.inc();
  call.context.events.publish(
      "turn",
      {{"request_id", call.ids.id},
       {"route", "/v1/chat/completions"},
       {"finish_reason", outcome.finish_reason},
       {"prompt_tokens", outcome.prompt_tokens},
       {"completion_tokens", outcome.completion_tokens},
       {"queue_ms", queue_s * 1e3},
       {"prefill_ms", outcome.prefill_seconds * 1e3},
       {"ttft_ms",
        outcome.first_piece_seconds >= 0 ? (queue_s + outcome.first_piece_seconds) * 1e3 : -1.0},
       {"total_ms", (queue_s + outcome.total_seconds) * 1e3},
       {"tokens_per_s", tokens_per_s},
       {"text", outcome.text}});
}

// Pieces → events for /events when anyone listens.
PieceSink with_token_events(ServerContext& context, const std::string& request_id,
                            PieceSink inner) {
  return [&context, request_id, inner = std::move(inner)](std::string_view piece) {
    if (context.events.subscriber_count() > 0)
      context.events.publish("token", {{"request_id", request_id}, {"text", std::string(piece)}});
    return inner(piece);
  };
}

void respond_whole(ChatCall& call, httplib::Response& response) {
  const ChatOutcome outcome =
      run_chat(*call.context.llm_model, call.lease->pool(), call.job,
               with_token_events(call.context, call.ids.id, [](std::string_view) { return true; }),
               &call.context.cancel_model_work);
  call.lease.reset();
  record_outcome(call, outcome);
  std::vector<ToolCall> tool_calls;
  std::string content = outcome.text;
  if (call.tools_requested) content = extract_tool_calls(outcome.text, tool_calls);
  const std::string finish = !tool_calls.empty()                    ? "tool_calls"
                             : outcome.finish_reason == "cancelled" ? "length"
                                                                    : outcome.finish_reason;
  response.set_content(
      chat_completion_json(call.ids, content, tool_calls,
                           {outcome.prompt_tokens, outcome.completion_tokens}, finish),
      "application/json");
}

// Runs the whole generation inside the first provider call, writing SSE frames as it goes.
bool stream_chat(ChatCall& call, httplib::DataSink& sink) {
  bool writable = sink_write(
      sink, sse_frame(chat_chunk_json(call.ids, {{"role", "assistant"}, {"content", ""}}, "", {})));
  ChatOutcome outcome;
  std::string error_json;
  try {
    outcome = run_chat(
        *call.context.llm_model, call.lease->pool(), call.job,
        with_token_events(
            call.context, call.ids.id,
            [&](std::string_view piece) {
              writable = writable && sink_write(sink, sse_frame(chat_chunk_json(
                                                          call.ids, {{"content", piece}}, "", {})));
              return writable;
            }),
        &call.context.cancel_model_work);
  } catch (const ApiError& e) {
    error_json = e.to_json();
  } catch (const std::exception& e) {
    error_json = ApiError(500, e.what(), {}, "generation_failed").to_json();
  }
  call.lease.reset();
  if (!error_json.empty()) {
    call.context.events.publish("error", {{"request_id", call.ids.id}, {"message", error_json}});
    if (writable) sink_write(sink, sse_frame(error_json)) && sink_write(sink, sse_frame("[DONE]"));
    sink.done();
    return true;
  }
  record_outcome(call, outcome);
  if (!writable) {
    call.context.logger->info("chat {}: client went away after {} tokens", call.ids.id,
                              outcome.completion_tokens);
    return false;  // the connection is gone: httplib closes it
  }
  const ChatUsage usage{outcome.prompt_tokens, outcome.completion_tokens};
  if (outcome.finish_reason == "cancelled") {
    // Shutdown ran out of grace: end the stream cleanly with an error object, then [DONE].
    sink_write(sink, sse_frame(chat_chunk_json(call.ids, json::object(), "length", usage)));
    sink_write(sink, sse_frame(ApiError(503, "the server is shutting down; the reply was cut short",
                                        {}, "shutting_down")
                                   .to_json()));
  } else {
    std::vector<ToolCall> tool_calls;
    if (call.tools_requested) extract_tool_calls(outcome.text, tool_calls);
    json delta = json::object();
    if (!tool_calls.empty()) {
      delta["tool_calls"] = json::array();
      for (size_t i = 0; i < tool_calls.size(); ++i)
        delta["tool_calls"].push_back(
            {{"index", i},
             {"id", tool_calls[i].id},
             {"type", "function"},
             {"function", {{"name", tool_calls[i].name}, {"arguments", tool_calls[i].arguments}}}});
    }
    sink_write(sink, sse_frame(chat_chunk_json(
                         call.ids, delta, tool_calls.empty() ? outcome.finish_reason : "tool_calls",
                         usage)));
    if (call.include_usage)
      sink_write(sink, sse_frame(chat_chunk_json(call.ids, {}, "", usage, false)));
  }
  sink_write(sink, sse_frame("[DONE]"));
  sink.done();
  return true;
}

void handle_chat(ServerContext& context, ChatMetrics& metrics, const httplib::Request& request,
                 httplib::Response& response) {
  const auto received = std::chrono::steady_clock::now();
  ChatCompletionRequest parsed = parse_chat_completion_request(request.body);
  if (!context.llm_model) {
    if (!parsed.model.empty())
      throw ApiError(404, "the model '" + parsed.model + "' does not exist", "model",
                     "model_not_found");
    throw ApiError(503, "no chat model is loaded", {}, "model_not_loaded");
  }
  if (!parsed.model.empty() && parsed.model != context.llm_model_id)
    throw ApiError(404,
                   "the model '" + parsed.model + "' does not exist; this server has '" +
                       context.llm_model_id + "'",
                   "model", "model_not_found");
  if (context.stopping.load()) throw admission_error(WorkQueue::Status::kClosed);

  ChatJob job = make_job(context, parsed);
  // Refuse a prompt that cannot fit before admission (and before a stream's 200 goes out).
  check_prompt_fits(*context.llm_model, job,
                    chat_prompt_tokens(*context.llm_model, job.messages).size());
  auto call = std::make_shared<ChatCall>(ChatCall{context,
                                                  metrics,
                                                  std::move(job),
                                                  {},
                                                  parsed.include_usage,
                                                  parsed.tools.is_array(),
                                                  received,
                                                  std::nullopt});
  call->ids = {context.next_request_id("chatcmpl"), unix_now(), context.llm_model_id};

  WorkQueue::Admission admission =
      context.work_queue.acquire(std::chrono::milliseconds(context.options.queue_wait_ms), {}, request.remote_addr);
  if (!admission.lease) throw admission_error(admission.status);
  call->lease.emplace(std::move(*admission.lease));
  context.events.publish("request", {{"request_id", call->ids.id},
                                     {"route", "/v1/chat/completions"},
                                     {"model", context.llm_model_id},
                                     {"stream", parsed.stream}});

  if (!parsed.stream) {
    respond_whole(*call, response);
    return;
  }
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  response.set_chunked_content_provider(
      "text/event-stream",
      [call](size_t /*offset*/, httplib::DataSink& sink) { return stream_chat(*call, sink); },
      [call](bool /*success*/) { call->lease.reset(); });
}

}  // namespace

void register_chat_routes(httplib::Server& server, ServerContext& context) {
  auto metrics = std::make_shared<ChatMetrics>(context.metrics);
  server.Post("/v1/chat/completions",
              [&context, metrics](const httplib::Request& request, httplib::Response& response) {
                try {
                  handle_chat(context, *metrics, request, response);
                } catch (const ApiError& e) {
                  context.metrics
                      .counter("parley_errors_total", "Errors by kind",
                               {{"kind", e.code().empty() ? e.type() : e.code()}})
                      .inc();
                  if (e.status() >= 500 && e.status() != 503)
                    context.logger->error("chat: {}", e.what());
                  send_api_error(response, e, context.options.retry_after_s);
                }
              });
  server.Get("/v1/models", [&context](const httplib::Request&, httplib::Response& response) {
    response.set_content(models_list(context).dump(), "application/json");
  });
  server.Get(R"(/v1/models/(.+))",
             [&context](const httplib::Request& request, httplib::Response& response) {
               const std::string id = request.matches[1];
               const json list = models_list(context);
               for (const json& model : list["data"]) {
                 if (model["id"] == id) {
                   response.set_content(model.dump(), "application/json");
                   return;
                 }
               }
               send_api_error(response, ApiError(404, "the model '" + id + "' does not exist",
                                                 "model", "model_not_found"));
             });
}

}  // namespace parley::assistant::server
