#include "assistant/server/sse.h"

namespace parley::assistant::server {

std::string sse_frame(std::string_view data, std::string_view event, std::optional<uint64_t> id) {
  std::string out;
  out.reserve(data.size() + 32);
  if (id) out += "id: " + std::to_string(*id) + "\n";
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  size_t start = 0;
  for (;;) {
    size_t end = data.find('\n', start);
    std::string_view line =
        data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  return ": " + std::string(text) + "\n\n";
}

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::vector<SseEvent> events;
  size_t start = 0;
  for (;;) {
    const size_t end = buffer_.find('\n', start);
    if (end == std::string::npos) break;
    std::string line = buffer_.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (has_data_) events.push_back(std::move(current_));
      current_ = {};
      has_data_ = false;
      continue;
    }
    if (line.front() == ':') continue;  // comment
    const size_t colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (field == "data") {
      if (has_data_) current_.data += '\n';
      current_.data += value;
      has_data_ = true;
    } else if (field == "event") {
      current_.event = value;
    } else if (field == "id") {
      current_.id = value;
    }
  }
  buffer_.erase(0, start);
  return events;
}

}  // namespace parley::assistant::server
