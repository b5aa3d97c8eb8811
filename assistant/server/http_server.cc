#include "assistant/server/http_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <csignal>

#include "assistant/server/api_error.h"
#include "assistant/server/auth.h"
#include "assistant/server/chat_routes.h"
#include "assistant/server/connection_pool.h"
#include "assistant/server/kiosk_page.h"
#include "assistant/server/route_helpers.h"
#include "assistant/server/server_context.h"
#include "assistant/server/sse.h"
#include "kernels/error.h"
#if __has_include("assistant/server/audio_routes.h")
#include "assistant/server/audio_routes.h"
#define PARLEY_SERVER_HAS_AUDIO_ROUTES 1
#endif

namespace parley::assistant::server {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Start of the request the calling connection thread is serving (set by the pre-routing
// handler, read by the access log).
thread_local Clock::time_point request_start;

std::string status_text_for(int status) {
  switch (status) {
    case 400:
      return "the request could not be parsed";
    case 404:
      return "no such route";
    case 405:
      return "method not allowed on this route";
    case 413:
      return "the request body is too large";
    case 414:
      return "the request URI is too long";
    default:
      return "the request failed";
  }
}

void serve_events(ServerContext& context, httplib::Response& response) {
  auto subscription = std::shared_ptr<EventBus::Subscription>(context.events.subscribe());
  context.metrics.gauge("parley_events_subscribers", "Clients connected to GET /events").add(1);
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  response.set_chunked_content_provider(
      "text/event-stream",
      [&context, subscription](size_t, httplib::DataSink& sink) {
        if (!sink_write(sink, "retry: 2000\n" + sse_comment("parley events"))) return false;
        auto last_write = Clock::now();
        while (!context.stopping.load()) {
          std::optional<ServerEvent> event = subscription->next(std::chrono::milliseconds(250));
          if (event) {
            if (!sink_write(sink, sse_frame(event->data.dump(-1, ' ', false,
                                                             json::error_handler_t::replace),
                                            event->type, event->id)))
              return false;
            last_write = Clock::now();
          } else if (subscription->closed()) {
            break;
          } else if (Clock::now() - last_write > std::chrono::seconds(15)) {
            // Keep-alive, which also notices a client that went away.
            if (!sink_write(sink, sse_comment("keep-alive"))) return false;
            last_write = Clock::now();
          }
        }
        sink_write(sink, sse_frame(json{{"reason", "server shutting down"}}.dump(), "bye"));
        sink.done();
        return true;
      },
      [&context, subscription](bool) {
        context.metrics.gauge("parley_events_subscribers", "Clients connected to GET /events")
            .add(-1);
      });
}

}  // namespace

HttpServer::HttpServer(ServerContext& context)
    : context_(context), server_(std::make_unique<httplib::Server>()) {
  // A client that goes away mid-stream must fail a write, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  register_routes();
}

HttpServer::~HttpServer() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::register_routes() {
  httplib::Server& server = *server_;
  ServerContext& context = context_;
  const ServerOptions& options = context.options;
  const int http_threads = options.http_threads;
  // A thread per connection being served, up to http_threads: a flood of idle or slow
  // connections does not queue later clients behind it (connection_pool.h).
  server.new_task_queue = [http_threads] {
    return new ConnectionPool({.max_threads = static_cast<size_t>(http_threads)});
  };
  server.set_payload_max_length(options.max_body_bytes);
  server.set_read_timeout(options.read_timeout_s, 0);
  server.set_write_timeout(options.write_timeout_s, 0);
  server.set_keep_alive_timeout(2);
  // Remember the listening socket: httplib listens with a backlog of 5, which makes a burst of
  // new connections wait for SYN retransmits (1 s and more); bind() raises it.
  server.set_socket_options([this](int socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // Accepted sockets inherit it: each SSE frame leaves at once instead of waiting (Nagle)
    // for the client's delayed ACK of the previous write.
    setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    listen_socket_ = socket;
  });

  server.set_pre_routing_handler([&context](const httplib::Request& request,
                                            httplib::Response& response) {
    request_start = Clock::now();
    reset_streamed_bytes_this_thread();
    if (request_authorized(context.options.api_key, request.path,
                           request.get_header_value("Authorization")))
      return httplib::Server::HandlerResponse::Unhandled;
    context.metrics.counter("parley_errors_total", "Errors by kind", {{"kind", "unauthorized"}})
        .inc();
    send_api_error(response, ApiError(401,
                                      request.has_header("Authorization")
                                          ? "invalid API key"
                                          : "missing API key: send 'Authorization: Bearer <key>'",
                                      {}, "invalid_api_key"));
    response.set_header("Connection", "close");  // the body (if any) was not read
    return httplib::Server::HandlerResponse::Handled;
  });

  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [&context](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty() || response.content_provider_)
          return httplib::Server::HandlerResponse::Unhandled;
        std::string message = status_text_for(response.status);
        std::string code;
        if (response.status == 413) {
          message = "the request body exceeds the limit of " +
                    std::to_string(context.options.max_body_bytes) + " bytes";
          code = "request_too_large";
        } else if (response.status == 404) {
          message = "no route " + request.method + " " + request.path;
          code = "unknown_route";
        }
        context.metrics
            .counter("parley_errors_total", "Errors by kind",
                     {{"kind", code.empty() ? "http_" + std::to_string(response.status) : code}})
            .inc();
        send_api_error(response, ApiError(response.status, message, {}, code));
        return httplib::Server::HandlerResponse::Handled;
      }));

  server.set_exception_handler([&context](const httplib::Request& request,
                                          httplib::Response& response, std::exception_ptr error) {
    std::string message = "internal error";
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    context.logger->error("{} {}: {}", request.method, request.path, message);
    context.metrics.counter("parley_errors_total", "Errors by kind", {{"kind", "internal"}}).inc();
    send_api_error(response, ApiError(500, message, {}, "internal_error"));
  });

  server.set_logger([&context](const httplib::Request& request, const httplib::Response& response) {
    const double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - request_start).count();
    const size_t bytes =
        response.body.empty() ? streamed_bytes_this_thread() : response.body.size();
    const std::string route = route_label(request.path);
    context.metrics
        .counter("parley_http_requests_total", "HTTP requests by route, method and status",
                 {{"route", route},
                  {"method", request.method},
                  {"status", std::to_string(response.status)}})
        .inc();
    context.metrics
        .histogram("parley_http_request_seconds", "HTTP request duration by route",
                   kLatencyBucketsSeconds, {{"route", route}})
        .observe(ms / 1e3);
    context.logger->info("http method={} path={} status={} bytes={} ms={:.1f} client={}:{}",
                         request.method, request.path, response.status, bytes, ms,
                         request.remote_addr, request.remote_port);
  });

  server.Get("/health", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"status":"ok"})", "application/json");
  });
  server.Get("/ready", [&context](const httplib::Request&, httplib::Response& response) {
    const bool ready = context.ready.load() && !context.stopping.load();
    json body = {
        {"status", ready ? "ready" : (context.stopping.load() ? "stopping" : "loading")},
        {"models",
         {{"llm", context.llm_model ? json(context.llm_model_id) : json(nullptr)},
          {"asr", context.asr_recognizer ? json(context.asr_model_id) : json(nullptr)},
          {"voice", context.voice_spec.empty() ? json(nullptr) : json(context.voice_spec)}}}};
    response.status = ready ? 200 : 503;
    if (!ready) response.set_header("Retry-After", std::to_string(context.options.retry_after_s));
    response.set_content(body.dump(), "application/json");
  });
  server.Get("/metrics", [&context](const httplib::Request&, httplib::Response& response) {
    context.metrics.gauge("parley_queue_depth", "Requests waiting for a model worker")
        .set(context.work_queue.waiting());
    context.metrics.gauge("parley_queue_busy", "Model workers busy").set(context.work_queue.busy());
    context.metrics.gauge("parley_queue_capacity", "Most requests that may wait for a model worker")
        .set(context.work_queue.waiting_capacity());
    context.metrics.gauge("parley_ready", "1 once the models are loaded")
        .set(context.ready.load() ? 1 : 0);
    response.set_content(context.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Barge-in from the kiosk page: stop what the device pipeline (serve --listen) is saying.
  server.Post("/v1/stop", [&context](const httplib::Request&, httplib::Response& response) {
    if (!context.stop_speaking()) {
      send_api_error(response, ApiError(409, "nothing to stop: the server is not listening on a device (--listen)",
                                        {}, "not_listening"));
      return;
    }
    context.events.publish("barge_in", {{"source", "stop"}});
    response.set_content(R"({"stopped":true})", "application/json");
  });
  server.Get("/events", [&context](const httplib::Request&, httplib::Response& response) {
    serve_events(context, response);
  });

  register_chat_routes(server, context);
  register_kiosk_routes(server, context);
#ifdef PARLEY_SERVER_HAS_AUDIO_ROUTES
  register_audio_routes(server, context);
#endif
}

int HttpServer::bind() {
  const ServerOptions& options = context_.options;
  if (options.port == 0) {
    port_ = server_->bind_to_any_port(options.host);
    if (port_ < 0) throw Error("serve: cannot bind " + options.host + " to a free port");
  } else {
    if (!server_->bind_to_port(options.host, options.port))
      throw Error("serve: cannot bind " + options.host + ":" + std::to_string(options.port) +
                  " (in use, or not an address of this machine)");
    port_ = options.port;
  }
  if (listen_socket_ >= 0)
    ::listen(listen_socket_, kListenBacklog);  // raises httplib's backlog of 5
  return port_;
}

void HttpServer::run() {
  if (port_ < 0) bind();
  context_.logger->info("serving on http://{}:{}{}", context_.options.host, port_,
                        context_.options.api_key.empty() ? "" : " (API key required)");
  server_->listen_after_bind();
}

void HttpServer::start() {
  if (port_ < 0) bind();
  thread_ = std::thread([this] { run(); });
  while (!server_->is_running() && !stopped_.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpServer::stop() {
  if (stopped_.exchange(true)) {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    return;
  }
  context_.logger->info("shutting down: no new model work; in-flight streams get {} ms",
                        context_.options.shutdown_grace_ms);
  context_.stopping.store(true);
  context_.work_queue.close();
  context_.events.close();
  // Give running model work its grace, then cut it short.
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(context_.options.shutdown_grace_ms);
  while (context_.work_queue.busy() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (context_.work_queue.busy() > 0) {
    context_.logger->warn("shutdown grace over: ending {} running model jobs",
                          context_.work_queue.busy());
    context_.cancel_model_work.store(true);
    // Cancelled jobs return within one token; a stream's lease is released only once its
    // provider ran, so waiting for the leases also waits for every stream's final event
    // (httplib stops calling providers once the listener is closed).
    const auto cancel_deadline = Clock::now() + std::chrono::seconds(5);
    while (context_.work_queue.busy() > 0 && Clock::now() < cancel_deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_->stop();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  context_.logger->info("stopped");
}

}  // namespace parley::assistant::server
