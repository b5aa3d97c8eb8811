// RemoteChatEngine — the brain on another machine: an OpenAI-compatible chat server (llama-server,
// vLLM, another `parley serve`) instead of the local GGUF, streamed the same way.
//
// It POSTs {base_url}/chat/completions with "stream": true and hands every content delta of the
// server-sent events to the pipeline as it arrives. When the server cannot be reached, answers
// with an HTTP error, sends something that is not the chat API, or stays silent longer than the
// timeout, the reply is the configured fallback message (spoken like any reply) and the reason is
// kept in last_error(). A failure after part of the reply arrived keeps that part.
//
// Contracts
//   * generate() is called by one thread at a time; request_cancel() from any thread ends the
//     request at once (the connection is shut down, also while waiting for the first byte).
//   * Never throws from generate(); the constructor throws parley::Error naming the field when the
//     URL is not an http(s) base URL.
//
// Usage
//   RemoteChatEngine brain({.base_url = "http://192.168.1.20:8080/v1", .model = "qwen2.5-1.5b",
//                           .timeout_s = 10});
//   std::string reply = brain.generate(messages, [](std::string_view piece) { return true; });
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "assistant/core/engines.h"

namespace httplib {
class Client;
}

namespace parley::assistant {

struct RemoteChatOptions {
  std::string base_url;  // "http://host:port/v1" (the path before /chat/completions)
  std::string model;     // "" = omitted; the server uses its default
  std::string api_key;   // "" = no Authorization header
  float timeout_s = 10.0f;  // connect, and longest silence between two reads
  std::string fallback_message = "Sorry, I can't reach my language model right now.";
  int max_tokens = 256;
  float temperature = 0.7f;
  int seed = -1;  // < 0: not sent
};

class RemoteChatEngine final : public ChatEngine {
 public:
  explicit RemoteChatEngine(RemoteChatOptions options);
  ~RemoteChatEngine() override;
  std::string generate(const std::vector<llm::ChatMessage>& messages,
                       const PieceSink& on_piece) override;
  void request_cancel() override;

  // Why the last generate() fell back or stopped early; "" after a complete reply.
  std::string last_error() const;

  // The request body generate() sends (exposed for tests).
  std::string request_body(const std::vector<llm::ChatMessage>& messages) const;

 private:
  RemoteChatOptions options_;
  std::string scheme_host_port_;  // "http://host:port"
  std::string path_;              // "/v1/chat/completions"
  std::atomic<bool> cancel_{false};
  mutable std::mutex mutex_;  // guards client_ (stop() from another thread) and last_error_
  httplib::Client* client_ = nullptr;
  std::string last_error_;
};

// Splits an SSE byte stream into the `data:` payloads of complete events, across any chunking.
class SseDecoder {
 public:
  // Appends bytes; returns the data payloads of the events completed by them, in order.
  std::vector<std::string> feed(std::string_view bytes);

 private:
  std::string buffer_;
  std::string data_;  // data lines of the event in progress, joined by '\n'
  bool has_data_ = false;
};

}  // namespace parley::assistant
