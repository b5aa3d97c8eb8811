// HTTP request handling of `parley serve`: the raw bytes of a request (request line, headers,
// JSON or multipart body — cpp-httplib parses them, our routes read them) sent over loopback to an
// in-process server, the same HttpServer and routes `parley serve` runs.
//
// The server (started once per process) has a tiny random-weight chat model (2 layers, 64 wide,
// context 64, so a chat completion is real but short), no speech model and no configured voice,
// a 64 KiB body limit and short socket timeouts. Each input is one connection: the bytes are
// sent, the write side is shut, and the response head is read (at most 10 s).
// Contract: every answer is an HTTP status line, and no input gets a 5xx other than 503 (model
// not loaded / busy): a 500 is an exception one of our routes did not turn into a 4xx. A harness
// failure (no server, no connection) aborts rather than passing silently.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "assistant/server/http_server.h"
#include "assistant/server/server_context.h"
#include "llm/random_model.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using namespace parley::assistant::server;

struct FuzzServer {
  std::unique_ptr<ServerContext> context;
  std::unique_ptr<HttpServer> http;
  int port = -1;

  FuzzServer() {
    const std::string model = (parley::fuzz::scratch_dir() / "chat.gguf").string();
    parley::llm::RandomModelSpec spec;
    spec.name = "fuzz";
    spec.n_vocab = 512;
    spec.n_embd = 64;
    spec.n_layer = 2;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.n_ff = 128;
    spec.context_length = 64;
    spec.weight_type = "f32";
    parley::llm::write_random_model(spec, model);
    ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 64 * 1024;
    options.read_timeout_s = 2;
    options.write_timeout_s = 2;
    options.http_threads = 4;
    options.threads_per_worker = 1;
    options.queue_wait_ms = 2000;
    options.context_length = 64;
    auto logger = std::make_shared<spdlog::logger>(
        "fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
    context = std::make_unique<ServerContext>(options, parley::assistant::AssistantConfig{}, logger);
    context->load_models({.llm = model});
    http = std::make_unique<HttpServer>(*context);
    port = http->bind();
    http->start();
  }
  ~FuzzServer() { http->stop(); }
};

FuzzServer& server() {
  static FuzzServer instance;
  return instance;
}

// connect() that survives what is not the server's fault: libFuzzer's timer signal interrupting
// it (EINTR: the connection goes on in the background) and a moment without a free ephemeral
// port (EADDRNOTAVAIL). False with errno set otherwise.
bool connect_loopback(int fd, const sockaddr_in& addr) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 || errno == EISCONN)
      return true;
    if (errno == EINTR || errno == EALREADY || errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 10'000) <= 0) continue;  // interrupted again, or slow: ask connect()
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error == 0) return true;
      errno = error;
      return false;
    }
    if (errno != EADDRNOTAVAIL) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Sends the request, shuts the write side, returns what came back up to the end of the response
// head ("" when the server closed without answering).
std::string exchange(int port, std::string_view request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Closed with a reset (SO_LINGER 0), so this side leaves no TIME_WAIT behind: at ~1,000
  // executions a second, 60 s of TIME_WAITs would use up the ephemeral ports (connect then fails
  // with EADDRNOTAVAIL — the harness's problem, not the server's; seen 2026-12-07 after 12,741
  // runs).
  const linger no_time_wait{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_time_wait, sizeof no_time_wait);
  if (!connect_loopback(fd, addr)) {
    std::fprintf(stderr, "fuzz_http_request: connect to 127.0.0.1:%d failed: %s\n", port,
                 std::strerror(errno));
    std::abort();  // the server stopped accepting
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413, 400) and close before reading it all
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string head;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 64 * 1024) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return head;
}

}  // namespace

PARLEY_FUZZ_TARGET(http_request) {
  const FuzzServer& s = server();
  const std::string head = exchange(s.port, parley::fuzz::as_text(data, size));
  if (head.empty()) return 0;  // closed without an answer (e.g. a body shorter than declared)
  // "HTTP/1.1 ddd "
  if (head.size() < 12 || head.compare(0, 9, "HTTP/1.1 ") != 0) __builtin_trap();
  const int status = std::atoi(head.substr(9, 3).c_str());
  if (status < 100 || status > 599) __builtin_trap();
  if (status >= 500 && status != 503) __builtin_trap();
  return 0;
}
