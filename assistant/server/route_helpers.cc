#include "assistant/server/route_helpers.h"

#include <httplib.h>

#include <array>

namespace parley::assistant::server {

namespace {
thread_local size_t streamed_bytes = 0;
}

bool sink_write(httplib::DataSink& sink, std::string_view bytes) {
  streamed_bytes += bytes.size();
  return sink.write(bytes.data(), bytes.size());
}

size_t streamed_bytes_this_thread() {
  return streamed_bytes;
}
void reset_streamed_bytes_this_thread() {
  streamed_bytes = 0;
}

std::string route_label(std::string_view path) {
  static constexpr std::array<std::string_view, 12> kRoutes = {"/",
                                                               "/health",
                                                               "/ready",
                                                               "/metrics",
                                                               "/events",
                                                               "/v1/models",
                                                               "/v1/chat/completions",
                                                               "/v1/audio/transcriptions",
                                                               "/v1/audio/speech",
                                                               "/v1/converse",
                                                               "/favicon.ico",
                                                               "/v1/completions"};
  for (std::string_view route : kRoutes)
    if (path == route) return std::string(route);
  if (path.starts_with("/v1/models/")) return "/v1/models/{id}";
  return "other";
}

}  // namespace parley::assistant::server
