// The HTTP layer's small parts, each against hand-computed expectations: auth, binding rules,
// SSE framing, Prometheus text, admission queue, event bus, the OpenAI chat schema.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "assistant/server/api_error.h"
#include "assistant/server/auth.h"
#include "assistant/server/connection_pool.h"
#include "assistant/server/event_bus.h"
#include "assistant/server/metrics.h"
#include "assistant/server/openai_chat.h"
#include "assistant/server/server_options.h"
#include "assistant/server/sse.h"
#include "assistant/server/work_queue.h"
#include "kernels/error.h"

namespace parley::assistant::server {
namespace {

using nlohmann::json;

TEST(Auth, ConstantTimeEquals) {
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secreT"));
  EXPECT_FALSE(constant_time_equals("secret", "secret2"));
  EXPECT_FALSE(constant_time_equals("secret", "secre"));
  EXPECT_FALSE(constant_time_equals("secret", ""));
  EXPECT_TRUE(constant_time_equals("", ""));
}

TEST(Auth, BearerTokenParsing) {
  EXPECT_EQ(bearer_token("Bearer abc").value_or("?"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc ").value_or("?"), "abc");
  EXPECT_FALSE(bearer_token("Basic abc").has_value());
  EXPECT_FALSE(bearer_token("Bearer").has_value());
  EXPECT_FALSE(bearer_token("Bearer ").has_value());
  EXPECT_FALSE(bearer_token("Bearerabc").has_value());
}

TEST(Auth, HealthAndThePageAreOpenEverythingElseNeedsTheKey) {
  EXPECT_TRUE(request_authorized("", "/v1/models", ""));  // no key configured
  EXPECT_TRUE(request_authorized("k1", "/health", ""));
  EXPECT_TRUE(request_authorized("k1", "/", ""));  // the kiosk page
  EXPECT_FALSE(request_authorized("k1", "/events", ""));
  EXPECT_FALSE(request_authorized("k1", "//", ""));
  EXPECT_FALSE(request_authorized("k1", "/ready", ""));
  EXPECT_FALSE(request_authorized("k1", "/v1/models", "Bearer k2"));
  EXPECT_TRUE(request_authorized("k1", "/v1/models", "Bearer k1"));
  EXPECT_FALSE(request_authorized("k1", "/health/", ""));
}

TEST(ServerOptions, LoopbackRule) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.5.6.7"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("[::1]"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("::"));
  EXPECT_FALSE(is_loopback_host("192.168.1.2"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));

  ServerOptions options;
  EXPECT_NO_THROW(options.validate());
  options.host = "0.0.0.0";
  try {
    options.validate();
    FAIL() << "a non-loopback host without a key was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ServerOptions.host"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("API key"), std::string::npos) << e.what();
  }
  options.api_key = "k";
  EXPECT_NO_THROW(options.validate());
  options.port = 70000;
  EXPECT_THROW(options.validate(), Error);
}

TEST(Sse, FramesAndParsesBack) {
  EXPECT_EQ(sse_frame("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_frame("x", "token", 7), "id: 7\nevent: token\ndata: x\n\n");
  EXPECT_EQ(sse_frame("a\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(sse_comment("hi"), ": hi\n\n");

  const std::string stream = sse_comment("start") + sse_frame("one") +
                             sse_frame("two\nlines", "e", 3) + sse_frame("[DONE]");
  SseParser parser;
  std::vector<SseEvent> events;
  // Fed one byte at a time: framing must not depend on how TCP splits the stream.
  for (char c : stream)
    for (SseEvent& e : parser.feed(std::string_view(&c, 1))) events.push_back(std::move(e));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "one");
  EXPECT_EQ(events[1].data, "two\nlines");
  EXPECT_EQ(events[1].event, "e");
  EXPECT_EQ(events[1].id, "3");
  EXPECT_EQ(events[2].data, "[DONE]");
}

TEST(Metrics, PrometheusTextExposition) {
  MetricsRegistry metrics;
  metrics.counter("t_requests_total", "Requests", {{"route", "/a"}, {"status", "200"}}).inc();
  metrics.counter("t_requests_total", "Requests", {{"route", "/a"}, {"status", "200"}}).inc(2);
  metrics.counter("t_requests_total", "Requests", {{"route", "/b\"q"}, {"status", "404"}}).inc();
  metrics.gauge("t_depth", "Depth").set(3);
  Histogram& h = metrics.histogram("t_seconds", "Latency", {0.1, 1});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.5);
  h.observe(7);
  const std::string expected =
      "# HELP t_depth Depth\n"
      "# TYPE t_depth gauge\n"
      "t_depth 3\n"
      "# HELP t_requests_total Requests\n"
      "# TYPE t_requests_total counter\n"
      "t_requests_total{route=\"/a\",status=\"200\"} 3\n"
      "t_requests_total{route=\"/b\\\"q\",status=\"404\"} 1\n"
      "# HELP t_seconds Latency\n"
      "# TYPE t_seconds histogram\n"
      "t_seconds_bucket{le=\"0.1\"} 2\n"
      "t_seconds_bucket{le=\"1\"} 3\n"
      "t_seconds_bucket{le=\"+Inf\"} 4\n"
      "t_seconds_sum 7.65\n"
      "t_seconds_count 4\n";
  EXPECT_EQ(metrics.render(), expected);
  EXPECT_THROW(metrics.gauge("t_seconds", "x"), Error);  // kind clash
  EXPECT_THROW(metrics.counter("bad name", "x"), Error);
  EXPECT_THROW(metrics.counter("ok", "x", {{"le", "1"}}), Error);
  EXPECT_THROW(metrics.counter("ok", "x").inc(-1), Error);
}

TEST(Metrics, CountsFromManyThreads) {
  MetricsRegistry metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        metrics.counter("c_total", "c", {{"k", std::to_string(i % 3)}}).inc();
        metrics.histogram("h", "h", {1.0}).observe(i % 2);
      }
    });
  for (auto& t : threads) t.join();
  double sum = 0;
  for (int k = 0; k < 3; ++k)
    sum += metrics.counter("c_total", "c", {{"k", std::to_string(k)}}).value();
  EXPECT_EQ(sum, 8000);
  const Histogram::Snapshot s = metrics.histogram("h", "h", {1.0}).snapshot();
  EXPECT_EQ(s.count, 8000u);
  EXPECT_EQ(s.sum, 4000);
}

TEST(WorkQueue, AdmitsUpToWorkersThenQueuesThenRejects) {
  WorkQueue queue(/*workers=*/2, /*waiting_capacity=*/1, /*threads_per_worker=*/1);
  auto a = queue.acquire(std::chrono::milliseconds(0));
  auto b = queue.acquire(std::chrono::milliseconds(0));
  ASSERT_EQ(a.status, WorkQueue::Status::kAdmitted);
  ASSERT_EQ(b.status, WorkQueue::Status::kAdmitted);
  EXPECT_NE(a.lease->worker(), b.lease->worker());
  EXPECT_EQ(queue.busy(), 2);
  // Nobody waiting, no worker free, zero wait: times out.
  EXPECT_EQ(queue.acquire(std::chrono::milliseconds(0)).status, WorkQueue::Status::kTimedOut);

  std::atomic<int> waiter_status{-1};
  std::thread waiter([&] {
    auto c = queue.acquire(std::chrono::seconds(10));
    waiter_status = static_cast<int>(c.status);
  });
  while (queue.waiting() == 0) std::this_thread::yield();
  // The line (capacity 1) is full now.
  EXPECT_EQ(queue.acquire(std::chrono::seconds(10)).status, WorkQueue::Status::kQueueFull);
  a.lease.reset();  // frees a worker: the waiter gets it
  waiter.join();
  EXPECT_EQ(waiter_status.load(), static_cast<int>(WorkQueue::Status::kAdmitted));
  EXPECT_EQ(queue.busy(), 1);  // the waiter's lease died with its thread's scope
}

TEST(WorkQueue, NeverMoreLeasesThanWorkersAndCloseWakesWaiters) {
  WorkQueue queue(3, 64, 1);
  std::atomic<int> inside{0}, most_inside{0}, admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto admission = queue.acquire(std::chrono::seconds(30));
        if (!admission.lease) continue;
        ++admitted;
        const int now = ++inside;
        int seen = most_inside.load();
        while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 16 * 20);
  EXPECT_LE(most_inside.load(), 3);
  EXPECT_EQ(queue.busy(), 0);

  auto held = queue.acquire(std::chrono::seconds(1));
  auto held2 = queue.acquire(std::chrono::seconds(1));
  auto held3 = queue.acquire(std::chrono::seconds(1));
  std::atomic<int> status{-1};
  std::thread waiter(
      [&] { status = static_cast<int>(queue.acquire(std::chrono::seconds(30)).status); });
  while (queue.waiting() == 0) std::this_thread::yield();
  queue.close();
  waiter.join();
  EXPECT_EQ(status.load(), static_cast<int>(WorkQueue::Status::kClosed));
  EXPECT_EQ(queue.acquire(std::chrono::seconds(1)).status, WorkQueue::Status::kClosed);
}

// Waits (at most 10 s) until `n` callers wait in `queue`.
bool wait_for_line(const WorkQueue& queue, int n) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (queue.waiting() != n) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// Closes the queue and joins its callers' threads at scope exit, so that a failed assertion
// neither blocks nor leaves a joinable thread behind.
struct JoinCallers {
  WorkQueue& queue;
  std::vector<std::thread>& threads;
  ~JoinCallers() {
    queue.close();
    for (std::thread& t : threads)
      if (t.joinable()) t.join();
  }
};

// One client floods the line: it fills at most three quarters of it, and a second client is
// queued and served next, ahead of the flood's earlier waiters.
TEST(WorkQueue, AnotherClientIsQueuedAndServedAheadOfAFlood) {
  WorkQueue queue(/*workers=*/1, /*waiting_capacity=*/8, /*threads_per_worker=*/1);
  auto held = queue.acquire(std::chrono::milliseconds(0), {}, "10.0.0.1");
  ASSERT_EQ(held.status, WorkQueue::Status::kAdmitted);
  std::mutex mutex;
  std::vector<std::string> order;
  std::vector<std::thread> threads;
  JoinCallers join{queue, threads};
  auto ask = [&](const std::string& client) {
    threads.emplace_back([&, client] {
      auto admission = queue.acquire(std::chrono::seconds(30), {}, client);
      if (!admission.lease) return;
      std::lock_guard lock(mutex);
      order.push_back(client);
    });
  };
  for (int i = 0; i < 6; ++i) {
    ask("10.0.0.1");
    ASSERT_TRUE(wait_for_line(queue, i + 1));
  }
  // (A zero wait: a caller let into the line would time out at once instead of blocking.)
  EXPECT_EQ(queue.acquire(std::chrono::milliseconds(0), {}, "10.0.0.1").status, WorkQueue::Status::kQueueFull)
      << "the last quarter of the line is kept for other clients";
  ask("10.0.0.2");
  ASSERT_TRUE(wait_for_line(queue, 7));
  ask("10.0.0.3");
  ASSERT_TRUE(wait_for_line(queue, 8));
  EXPECT_EQ(queue.acquire(std::chrono::milliseconds(0), {}, "10.0.0.4").status, WorkQueue::Status::kQueueFull);
  held.lease.reset();
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(order.size(), 8u);
  EXPECT_EQ(order[0], "10.0.0.2");  // never served: first, in arrival order
  EXPECT_EQ(order[1], "10.0.0.3");
  for (size_t i = 2; i < order.size(); ++i) EXPECT_EQ(order[i], "10.0.0.1");
  EXPECT_EQ(queue.busy(), 0);
}

// Two clients with several waiters each alternate.
TEST(WorkQueue, ClientsWithWaitersTakeTurns) {
  WorkQueue queue(1, 8, 1);
  auto held = queue.acquire(std::chrono::milliseconds(0), {}, "a");
  std::mutex mutex;
  std::vector<std::string> order;
  std::vector<std::thread> threads;
  JoinCallers join{queue, threads};
  for (const char* client : {"a", "a", "a", "b", "b", "b"}) {
    const int before = queue.waiting();
    threads.emplace_back([&, client] {
      auto admission = queue.acquire(std::chrono::seconds(30), {}, client);
      if (!admission.lease) return;
      std::lock_guard lock(mutex);
      order.emplace_back(client);
    });
    ASSERT_TRUE(wait_for_line(queue, before + 1));
  }
  held.lease.reset();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<std::string>{"b", "a", "b", "a", "b", "a"}));
}

TEST(WorkQueue, CancelledWaiterLeavesTheLine) {
  WorkQueue queue(1, 4, 1);
  auto held = queue.acquire(std::chrono::seconds(1));
  std::atomic<bool> gone{false};
  std::atomic<int> status{-1};
  std::thread waiter([&] {
    status = static_cast<int>(
        queue.acquire(std::chrono::seconds(30), [&] { return gone.load(); }).status);
  });
  while (queue.waiting() == 0) std::this_thread::yield();
  gone = true;
  waiter.join();
  EXPECT_EQ(status.load(), static_cast<int>(WorkQueue::Status::kCancelled));
  EXPECT_EQ(queue.waiting(), 0);
}

// ConnectionPool: a thread per job being served, up to the cap; later jobs wait; idle threads
// beyond keep_threads retire; shutdown runs what is queued and joins everything.
TEST(ConnectionPool, ThreadPerJobUpToTheCapThenQueuesRetiresAndDrains) {
  ConnectionPool pool({.max_threads = 8, .keep_threads = 2, .idle_retire = std::chrono::milliseconds(100)});
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0}, finished{0};
  auto blocking_job = [&] {
    ++started;
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return release; });
    ++finished;
  };
  for (int i = 0; i < 12; ++i) pool.enqueue(blocking_job);
  for (int i = 0; i < 200 && started.load() < 8; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(started.load(), 8);  // every one of the first 8 got a thread at once
  ConnectionPoolStats stats = pool.stats();
  EXPECT_EQ(stats.threads, 8u);
  EXPECT_EQ(stats.busy, 8u);
  EXPECT_EQ(stats.queued, 4u);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  for (int i = 0; i < 400 && finished.load() < 12; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(finished.load(), 12);
  // Idle for longer than idle_retire: back to keep_threads.
  for (int i = 0; i < 400 && pool.stats().threads > 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stats = pool.stats();
  EXPECT_EQ(stats.threads, 2u);
  EXPECT_EQ(stats.peak_threads, 8u);
  // An idle thread takes a new job without a new thread.
  std::atomic<int> quick{0};
  pool.enqueue([&] { ++quick; });
  for (int i = 0; i < 200 && quick.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(quick.load(), 1);
  EXPECT_LE(pool.stats().threads, 2u);
  // Shutdown runs the queued jobs first.
  for (int i = 0; i < 20; ++i) pool.enqueue([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ++quick;
  });
  pool.shutdown();
  EXPECT_EQ(quick.load(), 21);
  EXPECT_EQ(pool.stats().threads, 0u);
}

TEST(EventBus, FansOutInOrderDropsOldestForSlowSubscribers) {
  EventBus bus;
  auto fast = bus.subscribe(100);
  auto slow = bus.subscribe(2);
  EXPECT_EQ(bus.subscriber_count(), 2u);
  for (int i = 0; i < 5; ++i) bus.publish("token", {{"i", i}});
  for (int i = 0; i < 5; ++i) {
    auto e = fast->next(std::chrono::milliseconds(0));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->type, "token");
    EXPECT_EQ(e->data["i"], i);
    EXPECT_EQ(e->id, static_cast<uint64_t>(i + 1));
    EXPECT_TRUE(e->data.contains("time_unix_ms"));
  }
  EXPECT_EQ(slow->dropped(), 3u);
  EXPECT_EQ(slow->next(std::chrono::milliseconds(0))->data["i"], 3);
  EXPECT_EQ(slow->next(std::chrono::milliseconds(0))->data["i"], 4);
  EXPECT_FALSE(slow->next(std::chrono::milliseconds(1)).has_value());
  EXPECT_FALSE(slow->closed());
  slow.reset();
  EXPECT_EQ(bus.subscriber_count(), 1u);

  std::thread waiter([&] { EXPECT_FALSE(fast->next(std::chrono::seconds(30)).has_value()); });
  bus.close();
  waiter.join();
  EXPECT_TRUE(fast->closed());
  EXPECT_EQ(bus.publish("token", {}), 0u);
}

ApiError parse_error(const std::string& body) {
  try {
    parse_chat_completion_request(body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body;
  return ApiError(0, "");
}

TEST(OpenAiChat, ParsesAFullRequest) {
  const ChatCompletionRequest r = parse_chat_completion_request(R"({
    "model": "m", "temperature": 0.5, "top_p": 0.9, "max_completion_tokens": 12, "max_tokens": 99,
    "stop": ["\n", "END"], "seed": 42, "stream": true, "stream_options": {"include_usage": true},
    "presence_penalty": 0.1, "n": 1, "user": "ignored",
    "messages": [{"role": "developer", "content": "Be brief."},
                 {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]},
                 {"role": "assistant", "content": null,
                  "tool_calls": [{"id": "c", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
                 {"role": "tool", "tool_call_id": "c", "content": "12:00"}]})");
  EXPECT_EQ(r.model, "m");
  EXPECT_DOUBLE_EQ(*r.temperature, 0.5);
  EXPECT_DOUBLE_EQ(*r.top_p, 0.9);
  EXPECT_EQ(*r.max_tokens, 12);  // max_completion_tokens wins
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_EQ(*r.seed, 42u);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "Hi there");
  EXPECT_EQ(r.messages[2].content,
            "<tool_call>\n{\"arguments\":{},\"name\":\"get_time\"}\n</tool_call>");
  EXPECT_EQ(r.messages[3].role, "user");
  EXPECT_EQ(r.messages[3].content, "<tool_response>\n12:00\n</tool_response>");

  EXPECT_EQ(
      parse_chat_completion_request(R"({"messages":[{"role":"user","content":"x"}],"stop":"s"})")
          .stop,
      std::vector<std::string>{"s"});
}

TEST(OpenAiChat, RejectsWithTheFieldAndCode) {
  struct Case {
    const char* body;
    const char* param;
    const char* code;
  };
  const Case cases[] = {
      {"{not json", "", "invalid_json"},
      {"[1,2]", "", "invalid_type"},
      {R"({})", "messages", "missing_field"},
      {R"({"messages":"hi"})", "messages", "invalid_type"},
      {R"({"messages":[]})", "messages", "invalid_value"},
      {R"({"messages":[{"content":"x"}]})", "messages[0].role", "missing_field"},
      {R"({"messages":[{"role":"wizard","content":"x"}]})", "messages[0].role", "invalid_value"},
      {R"({"messages":[{"role":"user"}]})", "messages[0].content", "missing_field"},
      {R"({"messages":[{"role":"user","content":5}]})", "messages[0].content", "invalid_type"},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
       "messages[0].content[0].type", "unsupported_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"model":3})", "model", "invalid_type"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", "temperature",
       "invalid_type"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", "temperature",
       "invalid_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"top_p":0})", "top_p", "invalid_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})", "max_tokens",
       "invalid_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1.5})", "max_tokens",
       "invalid_type"},
      {R"({"messages":[{"role":"user","content":"x"}],"stop":[1]})", "stop", "invalid_type"},
      {R"({"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})", "stop",
       "invalid_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream", "invalid_type"},
      {R"({"messages":[{"role":"user","content":"x"}],"seed":"1"})", "seed", "invalid_type"},
      {R"({"messages":[{"role":"user","content":"x"}],"n":2})", "n", "unsupported_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})",
       "tools[0].function", "invalid_type"},
      {R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}}],)"
       R"("tool_choice":{"type":"function","function":{"name":"b"}}})",
       "tool_choice", "invalid_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}}],)"
       R"("tool_choice":{"type":"function"}})",
       "tool_choice", "invalid_value"},
      {R"({"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"a"}}})",
       "tool_choice", "invalid_value"},
  };
  for (const Case& c : cases) {
    const ApiError e = parse_error(c.body);
    EXPECT_EQ(e.status(), 400) << c.body;
    EXPECT_EQ(e.param(), c.param) << c.body;
    EXPECT_EQ(e.code(), c.code) << c.body;
    const json object = json::parse(e.to_json());
    EXPECT_EQ(object["error"]["type"], "invalid_request_error");
    EXPECT_EQ(object["error"]["message"], e.what());
    EXPECT_EQ(object["error"]["code"], c.code);
    if (c.param[0] == '\0') {
      EXPECT_TRUE(object["error"]["param"].is_null());
    }
  }
}

TEST(OpenAiChat, ErrorTypesAndAdmission) {
  EXPECT_STREQ(ApiError(401, "x").type(), "authentication_error");
  EXPECT_STREQ(ApiError(404, "x").type(), "invalid_request_error");
  EXPECT_STREQ(ApiError(429, "x").type(), "rate_limit_error");
  EXPECT_STREQ(ApiError(500, "x").type(), "server_error");
  EXPECT_EQ(admission_error(WorkQueue::Status::kQueueFull).status(), 429);
  EXPECT_EQ(admission_error(WorkQueue::Status::kTimedOut).status(), 503);
  EXPECT_EQ(admission_error(WorkQueue::Status::kClosed).status(), 503);
}

TEST(OpenAiChat, ResponseObjects) {
  const CompletionIds ids{"chatcmpl-1", 1700000000, "m"};
  const json whole = json::parse(chat_completion_json(ids, "Hello", {}, {5, 2}, "stop"));
  EXPECT_EQ(whole["object"], "chat.completion");
  EXPECT_EQ(whole["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(whole["choices"][0]["message"]["content"], "Hello");
  EXPECT_EQ(whole["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(whole["usage"]["total_tokens"], 7);

  const json with_call = json::parse(
      chat_completion_json(ids, "", {{"call_0", "get_time", "{}"}}, {5, 9}, "tool_calls"));
  EXPECT_TRUE(with_call["choices"][0]["message"]["content"].is_null());
  EXPECT_EQ(with_call["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_time");

  const json chunk = json::parse(chat_chunk_json(ids, {{"content", "Hi"}}, "", {}));
  EXPECT_EQ(chunk["object"], "chat.completion.chunk");
  EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  EXPECT_FALSE(chunk.contains("usage"));
  const json usage_only = json::parse(chat_chunk_json(ids, {}, "", ChatUsage{3, 4}, false));
  EXPECT_TRUE(usage_only["choices"].empty());
  EXPECT_EQ(usage_only["usage"]["completion_tokens"], 4);
}

TEST(OpenAiChat, ToolChoiceRequiredAndNamed) {
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}}])";
  auto parse = [&](const std::string& choice) {
    return parse_chat_completion_request(R"({"messages":[{"role":"user","content":"x"}],)" + tools +
                                         (choice.empty() ? "" : ",\"tool_choice\":" + choice) + "}");
  };
  EXPECT_FALSE(parse("").tool_call_required);
  EXPECT_FALSE(parse(R"("auto")").tool_call_required);
  EXPECT_TRUE(parse(R"("required")").tool_call_required);
  EXPECT_TRUE(parse(R"("required")").forced_tool.empty());
  const ChatCompletionRequest named = parse(R"({"type":"function","function":{"name":"b"}})");
  EXPECT_TRUE(named.tool_call_required);
  EXPECT_EQ(named.forced_tool, "b");
  EXPECT_TRUE(parse(R"("none")").tools.is_null());
}

TEST(OpenAiChat, ToolsBlockAndToolCallExtraction) {
  const json tools = json::parse(
      R"([{"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}}])");
  auto messages = with_tools({{"user", "time?"}}, tools);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].role, "system");
  EXPECT_NE(messages[0].content.find("<tools>\n{\"function\":{\"name\":\"get_time\""),
            std::string::npos);
  messages = with_tools({{"system", "Be brief."}, {"user", "time?"}}, tools);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].content.rfind("Be brief.\n\n# Tools", 0), 0u);
  EXPECT_TRUE(chat_template_supports_tools("{% if tools %}...{% endif %}"));
  EXPECT_FALSE(chat_template_supports_tools("{{ messages }}"));
  EXPECT_FALSE(chat_template_supports_tools(std::nullopt));

  std::vector<ToolCall> calls;
  EXPECT_EQ(extract_tool_calls("Sure.\n<tool_call>\n{\"name\": \"set_timer\", \"arguments\": "
                               "{\"minutes\": 5}}\n</tool_call>",
                               calls),
            "Sure.");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "set_timer");
  EXPECT_EQ(json::parse(calls[0].arguments)["minutes"], 5);
  calls.clear();
  EXPECT_EQ(extract_tool_calls("no calls here \n", calls), "no calls here \n");
  EXPECT_EQ(extract_tool_calls("<tool_call>not json</tool_call>", calls),
            "<tool_call>not json</tool_call>");
  EXPECT_TRUE(calls.empty());
}

}  // namespace
}  // namespace parley::assistant::server
