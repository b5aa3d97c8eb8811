#include "assistant/core/remote_chat.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "kernels/error.h"

namespace parley::assistant {

std::vector<std::string> SseDecoder::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::vector<std::string> events;
  size_t start = 0;
  while (true) {
    const size_t end = buffer_.find_first_of("\r\n", start);
    if (end == std::string::npos) break;
    // "\r\n" is one line ending; a lone '\r' at the end of the buffer may be the first half of one.
    if (buffer_[end] == '\r' && end + 1 == buffer_.size()) break;
    std::string_view line(buffer_.data() + start, end - start);
    start = end + ((buffer_[end] == '\r' && buffer_[end + 1] == '\n') ? 2 : 1);
    if (line.empty()) {  // blank line: the event is complete
      if (has_data_) events.push_back(std::move(data_));
      data_.clear();
      has_data_ = false;
      continue;
    }
    if (line.front() == ':') continue;  // comment (keep-alive)
    const size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (has_data_) data_.push_back('\n');
      data_.append(value);
      has_data_ = true;
    }  // event:, id:, retry: do not matter for the chat API
  }
  buffer_.erase(0, start);
  return events;
}

namespace {

// "http://host:8080/v1/" → {"http://host:8080", "/v1"}.
void split_base_url(const std::string& url, std::string* scheme_host_port, std::string* path) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos ||
      (url.compare(0, scheme_end, "http") != 0 && url.compare(0, scheme_end, "https") != 0)) {
    throw Error("remote_llm.url: \"" + url + "\" is not an http:// or https:// URL");
  }
  const size_t path_start = url.find('/', scheme_end + 3);
  *scheme_host_port = url.substr(0, path_start);
  if (scheme_host_port->size() <= scheme_end + 3) throw Error("remote_llm.url: \"" + url + "\" has no host");
  *path = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!path->empty() && path->back() == '/') path->pop_back();
}

// What a server's "error" member says: OpenAI's {"message": ...}, else the member as JSON (a
// bare string, a code, an object without a message), cut to 500 bytes.
std::string error_text(const nlohmann::json& error) {
  std::string text;
  if (error.is_object() && error.contains("message") && error["message"].is_string()) {
    text = error["message"].get<std::string>();
  } else if (error.is_string()) {
    text = error.get<std::string>();
  } else {
    text = error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (text.size() > 500) text.resize(500);
  return text;
}

}  // namespace

RemoteChatEngine::RemoteChatEngine(RemoteChatOptions options) : options_(std::move(options)) {
  split_base_url(options_.base_url, &scheme_host_port_, &path_);
  path_ += "/chat/completions";
  if (!(options_.timeout_s > 0)) throw Error("remote_llm.timeout_s: must be > 0");
}

RemoteChatEngine::~RemoteChatEngine() = default;

std::string RemoteChatEngine::request_body(const std::vector<llm::ChatMessage>& messages) const {
  nlohmann::json body;
  if (!options_.model.empty()) body["model"] = options_.model;
  body["messages"] = nlohmann::json::array();
  for (const llm::ChatMessage& m : messages)
    body["messages"].push_back({{"role", m.role}, {"content", m.content}});
  body["stream"] = true;
  body["max_tokens"] = options_.max_tokens;
  body["temperature"] = options_.temperature;
  if (options_.seed >= 0) body["seed"] = options_.seed;
  return body.dump();
}

void RemoteChatEngine::request_cancel() {
  cancel_.store(true);
  std::lock_guard lock(mutex_);
  if (client_ != nullptr) client_->stop();  // wakes a read blocked on the socket
}

std::string RemoteChatEngine::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

std::string RemoteChatEngine::generate(const std::vector<llm::ChatMessage>& messages,
                                       const PieceSink& on_piece) {
  cancel_.store(false);
  std::string reply;
  std::string error;
  bool sink_stopped = false;
  bool done = false;
  std::string non_sse_body;  // an error object or a non-streamed answer
  SseDecoder decoder;

  try {
    httplib::Client client(scheme_host_port_);
    const auto timeout = std::chrono::duration<double>(options_.timeout_s);
    client.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    client.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    {
      std::lock_guard lock(mutex_);
      client_ = &client;
      last_error_.clear();
    }
    if (cancel_.load()) {  // a cancel that raced the lock above still wins
      std::lock_guard lock(mutex_);
      client_ = nullptr;
      return reply;
    }

    httplib::Request request;
    request.method = "POST";
    request.path = path_;
    request.set_header("Accept", "text/event-stream");
    if (!options_.api_key.empty()) request.set_header("Authorization", "Bearer " + options_.api_key);
    request.body = request_body(messages);
    request.set_header("Content-Type", "application/json");
    request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      if (cancel_.load()) return false;
      const std::string_view bytes(data, size);
      if (non_sse_body.size() < (1u << 20)) non_sse_body.append(bytes);
      for (const std::string& event : decoder.feed(bytes)) {
        if (event == "[DONE]") {
          done = true;
          continue;
        }
        const nlohmann::json chunk = nlohmann::json::parse(event, nullptr, false);
        if (chunk.is_discarded() || !chunk.is_object()) {
          error = "the server sent an event that is not JSON";
          return false;
        }
        if (chunk.contains("error")) {
          error = "the server reported: " + error_text(chunk["error"]);
          return false;
        }
        const auto choices = chunk.find("choices");
        if (choices == chunk.end() || !choices->is_array() || choices->empty()) continue;
        const auto delta = (*choices)[0].find("delta");
        if (delta == (*choices)[0].end() || !delta->is_object()) continue;
        const auto content = delta->find("content");
        if (content == delta->end() || !content->is_string()) continue;
        const std::string piece = content->get<std::string>();
        if (piece.empty()) continue;
        reply += piece;
        if (!on_piece(piece)) {
          sink_stopped = true;
          return false;
        }
      }
      return true;
    };
    httplib::Response response;
    httplib::Error http_error = httplib::Error::Success;
    const bool sent = client.send(request, response, http_error);
    {
      std::lock_guard lock(mutex_);
      client_ = nullptr;
    }
    if (cancel_.load() || sink_stopped) return reply;
    if (error.empty() && !sent) {
      error = "cannot reach " + scheme_host_port_ + ": " + httplib::to_string(http_error);
    } else if (error.empty() && response.status != 200) {
      std::string detail;
      const nlohmann::json body = nlohmann::json::parse(non_sse_body, nullptr, false);
      if (!body.is_discarded() && body.is_object() && body.contains("error"))
        detail = ": " + error_text(body["error"]);
      error = scheme_host_port_ + path_ + " answered HTTP " + std::to_string(response.status) + detail;
    } else if (error.empty() && !done && reply.empty()) {
      // Not streamed: some servers ignore "stream" and send one JSON completion.
      const nlohmann::json body = nlohmann::json::parse(non_sse_body, nullptr, false);
      if (!body.is_discarded() && body.is_object() && body.contains("choices") &&
          body["choices"].is_array() && !body["choices"].empty() &&
          body["choices"][0].contains("message") && body["choices"][0]["message"].is_object() &&
          body["choices"][0]["message"].value("content", nlohmann::json()).is_string()) {
        reply = body["choices"][0]["message"]["content"].get<std::string>();
        if (!reply.empty()) on_piece(reply);
      } else {
        error = "the server's answer is not an OpenAI chat completion";
      }
    }
  } catch (const std::exception& e) {  // json or allocation failures: never out of generate()
    std::lock_guard lock(mutex_);
    client_ = nullptr;
    if (error.empty()) error = e.what();
  }

  {
    std::lock_guard lock(mutex_);
    last_error_ = error;
  }
  if (!error.empty() && reply.empty() && !cancel_.load()) {
    reply = options_.fallback_message;
    if (!reply.empty()) on_piece(reply);  // outside the lock: the sink may call request_cancel()
  }
  return reply;
}

}  // namespace parley::assistant
