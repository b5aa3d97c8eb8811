// Test helpers for tests/server: a small random-weight chat model written once per process
// (always available, no ../shared needed) and an in-process `parley serve` on a free port.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "assistant/server/http_server.h"
#include "assistant/server/server_context.h"
#include "llm/random_model.h"

namespace parley::assistant::server::testing_support {

// Keeps every formatted log line; text() may be read while server threads are still logging.
class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    text_.append(formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

// 2 layers, 64 wide, 1024-token placeholder vocabulary, f32: fast to run, real code paths.
// Removed when the process exits (the string is never destroyed, so the exit handler may use it).
inline const std::string& random_chat_model_path() {
  static const std::string& path = *new std::string([] {
    const std::string p =
        ::testing::TempDir() + "parley_server_" + std::to_string(::getpid()) + "_random.gguf";
    llm::RandomModelSpec spec;
    spec.name = "serve-test";
    spec.n_vocab = 1024;
    spec.n_embd = 64;
    spec.n_layer = 2;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.n_ff = 128;
    spec.context_length = 512;
    spec.weight_type = "f32";
    spec.seed = 7;
    llm::write_random_model(spec, p);
    std::atexit([] { std::remove(random_chat_model_path().c_str()); });
    return p;
  }());
  return path;
}

// Text as it looks after a JSON round trip (invalid UTF-8 becomes U+FFFD, as the server sends it).
inline std::string json_normalized(const std::string& text) {
  return nlohmann::json::parse(
             nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

inline std::string chat_body(const std::string& user, int max_tokens, uint64_t seed, bool stream = false,
                             double temperature = 0.8);

struct TestServer {
  std::shared_ptr<CapturingSink> log = std::make_shared<CapturingSink>();  // access log, messages
  std::unique_ptr<ServerContext> context;
  std::unique_ptr<HttpServer> http;
  int port = -1;

  explicit TestServer(ServerOptions options = {}, ModelPaths models = {}, bool load = true) {
    if (models.llm.empty() && models.asr.empty() && models.voice.empty())
      models.llm = random_chat_model_path();
    options.port = 0;
    if (options.threads_per_worker == 0) options.threads_per_worker = 1;
    auto logger = std::make_shared<spdlog::logger>("serve-test", log);
    logger->set_pattern("%v");
    context = std::make_unique<ServerContext>(options, AssistantConfig{}, logger);
    if (load) context->load_models(models);
    http = std::make_unique<HttpServer>(*context);
    port = http->bind();
    http->start();
  }
  ~TestServer() { http->stop(); }

  httplib::Client client(const std::string& key = {}) const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    if (!key.empty()) c.set_bearer_token_auth(key.c_str());
    return c;
  }
  std::string log_text() const { return log->text(); }
  // After a load or a flood: a chat request is served normally and nothing is left in the model
  // queue.
  void expect_normal_service() const {
    auto c = client();
    auto after = c.Post("/v1/chat/completions", chat_body("hi", 2, 1), "application/json");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
    EXPECT_EQ(context->work_queue.busy(), 0);
    EXPECT_EQ(context->work_queue.waiting(), 0);
  }
  // The access log line of a request is written just after its response went out, on the server
  // thread that served it: a test that has its response may not see the line yet. Waits up to 5 s.
  std::string wait_for_log(const std::string& needle) const {
    std::string text = log_text();
    for (int i = 0; i < 500 && text.find(needle) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      text = log_text();
    }
    return text;
  }
};

inline std::string chat_body(const std::string& user, int max_tokens, uint64_t seed, bool stream,
                             double temperature) {
  nlohmann::json body = {{"messages",
                          {{{"role", "system"}, {"content", "You are terse."}},
                           {{"role", "user"}, {"content", user}}}},
                         {"max_tokens", max_tokens},
                         {"seed", seed},
                         {"temperature", temperature},
                         {"stream", stream}};
  return body.dump();
}

}  // namespace parley::assistant::server::testing_support
