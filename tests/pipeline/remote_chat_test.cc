// RemoteChatEngine against a local fake OpenAI-compatible server (cpp-httplib on 127.0.0.1):
// streamed deltas, non-streamed answers, errors, unreachable and silent servers (fallback), and
// cancellation from another thread.
#include "assistant/core/remote_chat.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "kernels/error.h"

namespace parley::assistant {
namespace {

using Clock = std::chrono::steady_clock;

std::string delta_event(const std::string& content) {
  nlohmann::json chunk = {{"object", "chat.completion.chunk"},
                          {"choices", {{{"index", 0}, {"delta", {{"content", content}}}}}}};
  return "data: " + chunk.dump() + "\n\n";
}

// A fake chat server on an ephemeral loopback port; `handler` answers /v1/chat/completions.
class FakeServer {
 public:
  explicit FakeServer(httplib::Server::Handler handler) {
    server_.Post("/v1/chat/completions", std::move(handler));
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

std::vector<llm::ChatMessage> question() {
  return {{"system", "You are terse."}, {"user", "what time is it"}};
}

TEST(SseDecoder, EverySplitGivesTheSameEvents) {
  const std::string stream = ": keep-alive\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: line1\ndata: line2\n\ndata:[DONE]\n\n";
  const std::vector<std::string> expected = {"{\"a\":1}", "line1\nline2", "[DONE]"};
  for (size_t split = 0; split <= stream.size(); ++split) {
    SseDecoder decoder;
    std::vector<std::string> events = decoder.feed(std::string_view(stream).substr(0, split));
    for (std::string& e : decoder.feed(std::string_view(stream).substr(split))) events.push_back(std::move(e));
    EXPECT_EQ(events, expected) << "split at " << split;
  }
  SseDecoder byte_by_byte;
  std::vector<std::string> events;
  for (char c : stream)
    for (std::string& e : byte_by_byte.feed(std::string_view(&c, 1))) events.push_back(std::move(e));
  EXPECT_EQ(events, expected);
}

TEST(RemoteChat, StreamsDeltasInOrderAndSendsTheRequestFields) {
  nlohmann::json seen_body;
  std::string seen_auth;
  FakeServer server([&](const httplib::Request& request, httplib::Response& response) {
    seen_body = nlohmann::json::parse(request.body);
    seen_auth = request.get_header_value("Authorization");
    std::string body = delta_event("It is ") + delta_event("seven") + delta_event(" o'clock.") +
                       "data: " + nlohmann::json({{"choices", {{{"delta", nlohmann::json::object()}, {"finish_reason", "stop"}}}}}).dump() +
                       "\n\ndata: [DONE]\n\n";
    response.set_content(body, "text/event-stream");
  });
  RemoteChatEngine engine({.base_url = server.base_url() + "/", .model = "tiny", .api_key = "k123",
                           .timeout_s = 5, .max_tokens = 32, .temperature = 0.5f, .seed = 7});
  std::vector<std::string> pieces;
  const std::string reply = engine.generate(question(), [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  });
  EXPECT_EQ(reply, "It is seven o'clock.");
  EXPECT_EQ(pieces, (std::vector<std::string>{"It is ", "seven", " o'clock."}));
  EXPECT_EQ(engine.last_error(), "");
  EXPECT_EQ(seen_auth, "Bearer k123");
  EXPECT_EQ(seen_body["model"], "tiny");
  EXPECT_EQ(seen_body["stream"], true);
  EXPECT_EQ(seen_body["max_tokens"], 32);
  EXPECT_EQ(seen_body["seed"], 7);
  ASSERT_EQ(seen_body["messages"].size(), 2u);
  EXPECT_EQ(seen_body["messages"][1]["role"], "user");
  EXPECT_EQ(seen_body["messages"][1]["content"], "what time is it");
}

TEST(RemoteChat, AcceptsANonStreamedCompletion) {
  FakeServer server([](const httplib::Request&, httplib::Response& response) {
    nlohmann::json answer = {{"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", "Hello."}}}}}}};
    response.set_content(answer.dump(), "application/json");
  });
  RemoteChatEngine engine({.base_url = server.base_url()});
  std::string heard;
  EXPECT_EQ(engine.generate(question(), [&](std::string_view p) { heard += p; return true; }), "Hello.");
  EXPECT_EQ(heard, "Hello.");
}

TEST(RemoteChat, HttpErrorGivesTheFallbackAndNamesTheStatus) {
  FakeServer server([](const httplib::Request&, httplib::Response& response) {
    response.status = 500;
    response.set_content(R"({"error":{"message":"model crashed","type":"server_error"}})", "application/json");
  });
  RemoteChatEngine engine({.base_url = server.base_url(), .fallback_message = "No brain today."});
  std::string heard;
  EXPECT_EQ(engine.generate(question(), [&](std::string_view p) { heard += p; return true; }), "No brain today.");
  EXPECT_EQ(heard, "No brain today.");
  EXPECT_NE(engine.last_error().find("HTTP 500"), std::string::npos) << engine.last_error();
  EXPECT_NE(engine.last_error().find("model crashed"), std::string::npos) << engine.last_error();
}

TEST(RemoteChat, ErrorsOfAnyShapeAreReportedNotThrown) {
  // A streamed error event and an HTTP error body whose "error" is not OpenAI's object.
  FakeServer streamed([](const httplib::Request&, httplib::Response& response) {
    response.set_content("data: {\"error\": \"overloaded, try later\"}\n\n", "text/event-stream");
  });
  RemoteChatEngine a({.base_url = streamed.base_url(), .fallback_message = "fallback"});
  EXPECT_EQ(a.generate(question(), [](std::string_view) { return true; }), "fallback");
  EXPECT_NE(a.last_error().find("the server reported: overloaded, try later"), std::string::npos)
      << a.last_error();
  FakeServer http([](const httplib::Request&, httplib::Response& response) {
    response.status = 503;
    response.set_content(R"({"error":{"message":42,"code":"busy"}})", "application/json");
  });
  RemoteChatEngine b({.base_url = http.base_url(), .fallback_message = "fallback"});
  EXPECT_EQ(b.generate(question(), [](std::string_view) { return true; }), "fallback");
  EXPECT_NE(b.last_error().find("HTTP 503"), std::string::npos) << b.last_error();
  EXPECT_NE(b.last_error().find("busy"), std::string::npos) << b.last_error();
  EXPECT_EQ(b.last_error().find("json.exception"), std::string::npos) << b.last_error();
}

TEST(RemoteChat, GarbageEventsGiveTheFallback) {
  FakeServer server([](const httplib::Request&, httplib::Response& response) {
    response.set_content("data: {not json\n\n", "text/event-stream");
  });
  RemoteChatEngine engine({.base_url = server.base_url(), .fallback_message = "fallback"});
  EXPECT_EQ(engine.generate(question(), [](std::string_view) { return true; }), "fallback");
  EXPECT_NE(engine.last_error().find("not JSON"), std::string::npos) << engine.last_error();
}

TEST(RemoteChat, UnreachableServerGivesTheFallbackQuickly) {
  // A port the kernel just handed out and took back: nothing listens there.
  int closed_port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    closed_port = ntohs(address.sin_port);
    ::close(fd);
  }
  RemoteChatEngine engine({.base_url = "http://127.0.0.1:" + std::to_string(closed_port) + "/v1",
                           .timeout_s = 2, .fallback_message = "offline"});
  const auto start = Clock::now();
  EXPECT_EQ(engine.generate(question(), [](std::string_view) { return true; }), "offline");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_NE(engine.last_error().find("cannot reach"), std::string::npos) << engine.last_error();
}

TEST(RemoteChat, SilentServerTimesOut) {
  std::atomic<bool> release{false};
  FakeServer server([&](const httplib::Request&, httplib::Response& response) {
    for (int i = 0; i < 300 && !release.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    response.set_content(delta_event("late") + "data: [DONE]\n\n", "text/event-stream");
  });
  RemoteChatEngine engine({.base_url = server.base_url(), .timeout_s = 0.3f, .fallback_message = "timeout"});
  const auto start = Clock::now();
  EXPECT_EQ(engine.generate(question(), [](std::string_view) { return true; }), "timeout");
  const auto took = Clock::now() - start;
  release.store(true);
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  EXPECT_FALSE(engine.last_error().empty());
}

TEST(RemoteChat, CancelFromAnotherThreadEndsAStalledStream) {
  std::atomic<bool> release{false};
  FakeServer server([&](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider("text/event-stream", [&](size_t offset, httplib::DataSink& sink) {
      if (offset == 0) {
        const std::string first = delta_event("Partly");
        sink.write(first.data(), first.size());
        return true;
      }
      for (int i = 0; i < 500 && !release.load() && sink.is_writable(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      sink.done();
      return true;
    });
  });
  RemoteChatEngine engine({.base_url = server.base_url(), .timeout_s = 10, .fallback_message = "fallback"});
  std::atomic<bool> got_first{false};
  std::thread canceller([&] {
    while (!got_first.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    engine.request_cancel();
  });
  const auto start = Clock::now();
  const std::string reply = engine.generate(question(), [&](std::string_view) {
    got_first.store(true);
    return true;
  });
  const auto took = Clock::now() - start;
  canceller.join();
  release.store(true);
  EXPECT_EQ(reply, "Partly");  // what was produced, no fallback
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(RemoteChat, SinkStopEndsTheRequest) {
  FakeServer server([](const httplib::Request&, httplib::Response& response) {
    response.set_content(delta_event("one") + delta_event("two") + "data: [DONE]\n\n", "text/event-stream");
  });
  RemoteChatEngine engine({.base_url = server.base_url()});
  EXPECT_EQ(engine.generate(question(), [](std::string_view) { return false; }), "one");
  // The next reply is not affected by the stop.
  EXPECT_EQ(engine.generate(question(), [](std::string_view) { return true; }), "onetwo");
}

TEST(RemoteChat, BadUrlsAreConfigErrors) {
  EXPECT_THROW(RemoteChatEngine({.base_url = "ftp://host/v1"}), Error);
  EXPECT_THROW(RemoteChatEngine({.base_url = "localhost:8080"}), Error);
  EXPECT_THROW(RemoteChatEngine({.base_url = "http://"}), Error);
  EXPECT_THROW(RemoteChatEngine({.base_url = "http://host/v1", .timeout_s = 0}), Error);
}

}  // namespace
}  // namespace parley::assistant
