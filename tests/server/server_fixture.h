// Test helpers for tests/server: a small random-weight chat model written once per process
// (always available, no ../shared needed) and an in-process `parley serve` on a free port.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "assistant/server/http_server.h"
#include "assistant/server/server_context.h"
#include "llm/random_model.h"

namespace parley::assistant::server::testing_support {

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

struct TestServer {
  std::ostringstream log;  // access log and server messages
  std::unique_ptr<ServerContext> context;
  std::unique_ptr<HttpServer> http;
  int port = -1;

  explicit TestServer(ServerOptions options = {}, ModelPaths models = {}, bool load = true) {
    if (models.llm.empty() && models.asr.empty() && models.voice.empty())
      models.llm = random_chat_model_path();
    options.port = 0;
    if (options.threads_per_worker == 0) options.threads_per_worker = 1;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    auto logger = std::make_shared<spdlog::logger>("serve-test", sink);
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
  std::string log_text() {
    context->logger->flush();
    return log.str();
  }
};

inline std::string chat_body(const std::string& user, int max_tokens, uint64_t seed,
                             bool stream = false, double temperature = 0.8) {
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
