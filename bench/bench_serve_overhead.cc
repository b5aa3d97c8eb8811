// What `parley serve` adds on top of the in-process LLM runner, on one model in one process:
//   * streamed chat over HTTP (SSE, httplib client on loopback) vs run_chat() called directly:
//     time to first token and time per token, same job (greedy, same prompt, same length);
//     runs alternate between the two so machine noise hits both alike; medians are reported.
//   * the memory 50 idle GET /events clients cost the server (RSS before and after; the clients
//     are plain non-blocking sockets of this process, no client threads).
//
//   bench_serve_overhead MODEL.gguf [THREADS=1] [TOKENS=32] [RUNS=7] [SSE_CLIENTS=50]
//   [KEEP_ALIVE=0]
// KEEP_ALIVE=0: a new connection per request (its connect and accept count in the TTFT); 1: one
// reused connection, as SDK clients with a keep-alive agent do.
// Prints one JSON line. Variants: in-process (reference) vs HTTP SSE.
#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "assistant/server/chat_runner.h"
#include "assistant/server/http_server.h"
#include "assistant/server/server_context.h"
#include "assistant/server/sse.h"

namespace {

using namespace parley::assistant::server;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Timing {
  double ttft_ms = 0;
  double per_token_ms = 0;  // (last piece - first piece) / (pieces - 1)
  int pieces = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

Timing summarize(Clock::time_point start, const std::vector<Clock::time_point>& pieces) {
  Timing t;
  t.pieces = static_cast<int>(pieces.size());
  if (pieces.empty()) return t;
  t.ttft_ms = std::chrono::duration<double, std::milli>(pieces.front() - start).count();
  if (pieces.size() > 1)
    t.per_token_ms =
        std::chrono::duration<double, std::milli>(pieces.back() - pieces.front()).count() /
        static_cast<double>(pieces.size() - 1);
  return t;
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.gguf [THREADS] [TOKENS] [RUNS] [SSE_CLIENTS]\n", argv[0]);
    return 2;
  }
  const std::string model_path = argv[1];
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const int tokens = argc > 3 ? std::atoi(argv[3]) : 32;
  const int runs = argc > 4 ? std::atoi(argv[4]) : 7;
  const int sse_clients = argc > 5 ? std::atoi(argv[5]) : 50;
  const bool keep_alive = argc > 6 && std::atoi(argv[6]) != 0;  // reuse one connection

  ServerOptions options;
  options.port = 0;
  options.threads_per_worker = threads;
  auto logger =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  ServerContext context(options, parley::assistant::AssistantConfig{}, logger);
  context.load_models({.llm = model_path});
  HttpServer server(context);
  const int port = server.bind();
  server.start();

  ChatJob job;
  job.messages = {{"user", "Once upon a time"}};
  job.max_tokens = tokens;
  job.sampler.temperature = 0;  // greedy: both sides produce the same tokens
  const std::string body = json{
      {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
      {"max_tokens", tokens},
      {"temperature", 0},
      {"stream", true}}.dump();

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(300, 0);
  // As browsers and Node's http client do; without it the request body waits for the ACK of the
  // headers (Nagle), which is the client's delay, not the server's.
  client.set_tcp_nodelay(true);
  client.set_keep_alive(keep_alive);
  std::vector<double> ttft_local, ttft_http, token_local, token_http;
  int pieces_local = 0, pieces_http = 0;
  for (int run = -1; run < runs; ++run) {  // run -1: warm-up, not recorded
    // In process.
    std::vector<Clock::time_point> pieces;
    Clock::time_point start = Clock::now();
    {
      auto admission = context.work_queue.acquire(std::chrono::seconds(60));
      run_chat(*context.llm_model, admission.lease->pool(), job, [&](std::string_view) {
        pieces.push_back(Clock::now());
        return true;
      });
    }
    const Timing local = summarize(start, pieces);
    // Over HTTP.
    pieces.clear();
    SseParser parser;
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/chat/completions";
    request.body = body;
    request.set_header("Content-Type", "application/json");
    request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      const auto now = Clock::now();
      for (const SseEvent& e : parser.feed(std::string_view(data, size))) {
        if (e.data == "[DONE]") continue;
        const json chunk = json::parse(e.data);
        if (!chunk["choices"].empty() && chunk["choices"][0]["delta"].contains("content") &&
            !chunk["choices"][0]["delta"]["content"].get<std::string>().empty())
          pieces.push_back(now);
      }
      return true;
    };
    start = Clock::now();
    if (!client.send(request)) {
      std::fprintf(stderr, "HTTP request failed\n");
      return 1;
    }
    const Timing http = summarize(start, pieces);
    if (run < 0) continue;
    ttft_local.push_back(local.ttft_ms);
    ttft_http.push_back(http.ttft_ms);
    token_local.push_back(local.per_token_ms);
    token_http.push_back(http.per_token_ms);
    pieces_local = local.pieces;
    pieces_http = http.pieces;
  }

  // Idle SSE clients: raw sockets that send the request and never read.
  const long rss_before = rss_kib();
  std::vector<int> sockets;
  for (int i = 0; i < sse_clients; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      std::perror("connect");
      return 1;
    }
    const std::string get =
        "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    if (write(fd, get.data(), get.size()) != static_cast<ssize_t>(get.size())) return 1;
    sockets.push_back(fd);
  }
  for (int i = 0; i < 400 && context.events.subscriber_count() < static_cast<size_t>(sse_clients);
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const size_t subscribed = context.events.subscriber_count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long rss_after = rss_kib();
  for (int fd : sockets) close(fd);
  server.stop();

  const double ttft_l = median(ttft_local), ttft_h = median(ttft_http);
  const double tok_l = median(token_local), tok_h = median(token_http);
  std::printf(
      "{\"model\":\"%s\",\"keep_alive\":%s,\"threads\":%d,\"max_tokens\":%d,\"runs\":%d,\"pieces_"
      "in_process\":%d,\"pieces_http\":%d,"
      "\"ttft_ms_in_process\":%.3f,\"ttft_ms_http\":%.3f,\"ttft_overhead_ms\":%.3f,"
      "\"per_token_ms_in_process\":%.3f,\"per_token_ms_http\":%.3f,\"per_token_overhead_ms\":%.3f,"
      "\"sse_clients\":%d,\"sse_subscribed\":%zu,\"sse_rss_kib_before\":%ld,\"sse_rss_kib_after\":%"
      "ld,"
      "\"sse_rss_mib_added\":%.2f}\n",
      model_path.c_str(), keep_alive ? "true" : "false", threads, tokens, runs, pieces_local,
      pieces_http, ttft_l, ttft_h, ttft_h - ttft_l, tok_l, tok_h, tok_h - tok_l, sse_clients,
      subscribed, rss_before, rss_after, (rss_after - rss_before) / 1024.0);
  return 0;
}
