// Small helpers shared by route files.
//
//   sink_write(sink, sse_frame(json))   writes to a streamed response and counts the bytes for the
//                                      access log (a streamed body has no res.body to measure).
//   route_label(path)                   the route name used as a metric label (known routes by
//                                      name, anything else "other", so labels stay bounded).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace httplib {
class DataSink;
}

namespace parley::assistant::server {

bool sink_write(httplib::DataSink& sink, std::string_view bytes);

// Bytes written through sink_write() by the calling (connection) thread since the last reset;
// the access log reads and resets it per request.
size_t streamed_bytes_this_thread();
void reset_streamed_bytes_this_thread();

std::string route_label(std::string_view path);

}  // namespace parley::assistant::server
