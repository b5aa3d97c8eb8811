// Server-sent events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html).
//
//   sink.write(...)  ← sse_frame("{\"x\":1}")                  →  "data: {\"x\":1}\n\n"
//   sse_frame(json, "token", 42)                               →  "id: 42\nevent: token\ndata:
//   ...\n\n" sse_comment("keep-alive")                                  →  ": keep-alive\n\n"
//
// Data with newlines becomes one "data:" line per line (the client joins them with "\n").
// SseParser is the inverse, for tests and clients: feed() bytes, take whole events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::assistant::server {

std::string sse_frame(std::string_view data, std::string_view event = {},
                      std::optional<uint64_t> id = std::nullopt);
std::string sse_comment(std::string_view text);

struct SseEvent {
  std::string event;  // "" = the default "message"
  std::string data;
  std::string id;
};

class SseParser {
 public:
  // Appends bytes; returns the events completed by them (a blank line ends an event).
  std::vector<SseEvent> feed(std::string_view bytes);

 private:
  std::string buffer_;
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace parley::assistant::server
