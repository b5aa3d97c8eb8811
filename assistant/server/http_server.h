// HttpServer — the HTTP front of `parley serve` on cpp-httplib: auth, limits, access log,
// metrics, and every route (chat, models, events, metrics, health/ready, audio routes).
//
//   ServerContext context(options, config, logger);
//   context.load_models({.llm = "chat.gguf"});
//   HttpServer server(context);
//   int port = server.bind();        // throws parley::Error when the address cannot be bound
//   server.start();                  // serves on a background thread (or run() to block)
//   ...
//   server.stop();                   // graceful, see below
//
// Shutdown (stop(), also what SIGTERM / SIGINT do in run_serve): `stopping` is set so new
// model work gets 503 and /ready 503; /events streams end; waiting requests leave the queue with
// 503; running chat streams get options.shutdown_grace_ms to finish, after which
// `cancel_model_work` ends them with a final error event and [DONE]; then the listener closes
// and stop() returns once every connection thread has finished.
//
// Constructing one ignores SIGPIPE process-wide (writes to a closed socket then fail instead).
//
// Access log: one spdlog info line per request,
//   http method=POST path=/v1/chat/completions status=200 bytes=1234 ms=56.7 client=127.0.0.1:51234
#pragma once

#include <atomic>
#include <memory>
#include <thread>

namespace httplib {
class Server;
}

namespace parley::assistant::server {

struct ServerContext;

class HttpServer {
 public:
  explicit HttpServer(ServerContext& context);
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int bind();    // binds options.host:options.port (0 = any free port); returns the port
  void run();    // serves on this thread until stop()
  void start();  // run() on a background thread
  void stop();   // graceful shutdown (idempotent, thread-safe)
  int port() const { return port_; }

 private:
  void register_routes();
  ServerContext& context_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
  int listen_socket_ = -1;
  static constexpr int kListenBacklog = 1024;
  std::atomic<bool> stopped_{false};
};

}  // namespace parley::assistant::server
