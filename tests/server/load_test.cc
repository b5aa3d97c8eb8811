// Bounded load on loopback: 50 concurrent clients, 2,000 mixed requests (chat whole and
// streamed, models, health, metrics, malformed and invalid ones). Expect 0 transport failures,
// no 5xx other than 503 with Retry-After, the documented 4xx for the bad ones, and a server that
// still answers afterwards. Prints /health latency percentiles.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "server_fixture.h"

namespace parley::assistant::server {
namespace {

using nlohmann::json;
using testing_support::chat_body;
using testing_support::TestServer;

TEST(ServerLoad, FiftyClientsTwoThousandMixedRequests) {
  ServerOptions options;
  options.model_workers = 2;
  options.queue_capacity = 16;
  options.queue_wait_ms = 20000;
  options.http_threads = 64;
  TestServer server(options);

  constexpr int kClients = 50;
  constexpr int kRequests = 2000;
  std::atomic<int> next{0}, transport_failures{0}, unexpected{0};
  std::mutex mutex;
  std::map<int, int> statuses;
  std::vector<double> health_ms;
  std::vector<std::string> problems;

  auto worker = [&](int client_index) {
    auto client = server.client();
    client.set_keep_alive(client_index % 2 == 0);  // half reuse connections, half do not
    for (int i = next++; i < kRequests; i = next++) {
      const int kind = i % 10;
      httplib::Result r{nullptr, httplib::Error::Unknown};
      int expected = 200;
      const auto start = std::chrono::steady_clock::now();
      switch (kind) {
        case 0:
        case 1:
        case 2:
          r = client.Get("/health");
          break;
        case 3:
          r = client.Post("/v1/chat/completions", chat_body("hi", 3, i), "application/json");
          break;
        case 4:
          r = client.Post("/v1/chat/completions", chat_body("story", 3, i, true),
                          "application/json");
          break;
        case 5:
          r = client.Get("/v1/models");
          break;
        case 6:
          r = client.Post("/v1/chat/completions", "{\"messages\": [{", "application/json");
          expected = 400;
          break;
        case 7:
          r = client.Post("/v1/chat/completions",
                          R"({"model":"nope","messages":[{"role":"user","content":"x"}]})",
                          "application/json");
          expected = 404;
          break;
        case 8:
          r = client.Post("/v1/chat/completions", R"({"messages":[{"role":"user","content":7}]})",
                          "application/json");
          expected = 400;
          break;
        default:
          r = client.Get(i % 20 == 9 ? "/metrics" : "/ready");
          break;
      }
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      std::lock_guard lock(mutex);
      if (!r) {
        ++transport_failures;
        problems.push_back("request " + std::to_string(i) + " kind " + std::to_string(kind) + ": " +
                           httplib::to_string(r.error()) + " after " + std::to_string(ms) + " ms");
        continue;
      }
      ++statuses[r->status];
      if (kind <= 2) health_ms.push_back(ms);
      const bool documented_busy = (r->status == 429 || r->status == 503) &&
                                   r->has_header("Retry-After") && kind >= 3 && kind <= 4;
      if (r->status != expected && !documented_busy) {
        ++unexpected;
        problems.push_back("request " + std::to_string(i) + " kind " + std::to_string(kind) +
                           ": status " + std::to_string(r->status) + " " + r->body.substr(0, 200));
      }
    }
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back(worker, c);
  for (auto& t : clients) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (size_t i = 0; i < std::min<size_t>(problems.size(), 10); ++i) ADD_FAILURE() << problems[i];
  EXPECT_EQ(transport_failures.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
  int total = 0;
  for (auto [status, count] : statuses) {
    total += count;
    EXPECT_TRUE(status < 500 || status == 503) << "status " << status;
  }
  EXPECT_EQ(total, kRequests);

  std::sort(health_ms.begin(), health_ms.end());
  auto pct = [&](double p) {
    return health_ms[std::min(health_ms.size() - 1, static_cast<size_t>(p * health_ms.size()))];
  };
  std::printf("load: %d requests, %d clients, %.2f s (%.0f req/s); statuses:", kRequests, kClients,
              seconds, kRequests / seconds);
  for (auto [status, count] : statuses) std::printf(" %d=%d", status, count);
  std::printf("\nload: /health latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f (n=%zu)\n", pct(0.5),
              pct(0.9), pct(0.99), health_ms.back(), health_ms.size());
  ::testing::Test::RecordProperty("health_p99_ms", std::to_string(pct(0.99)));

  server.expect_normal_service();  // afterwards: served normally, nothing left in the queue
}

}  // namespace
}  // namespace parley::assistant::server
