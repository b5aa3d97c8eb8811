// A cpp-httplib server on 127.0.0.1 (random port) for the download tests: serves one payload in
// several behaviours and records the Range header of every request.
//   /file      honours Range (206 Partial Content)
//   /flaky     the first request sends `cut_after_bytes` then closes the connection; later
//              requests behave like /file
//   /norange   ignores Range: always 200 with the whole payload (chunked, no Content-Length)
//   /redirect  302 to /file
//   anything else: 404
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::models::testing {

inline std::string make_payload(size_t size_bytes, uint32_t seed) {
  std::string data(size_bytes, '\0');
  uint32_t state = seed;
  for (char& c : data) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return data;
}

class LocalHttpServer {
 public:
  LocalHttpServer(std::string payload, size_t cut_after_bytes)
      : payload_(std::move(payload)), cut_after_bytes_(cut_after_bytes) {
    server_.Get("/file", [this](const httplib::Request& request, httplib::Response& response) {
      record(request);
      serve_with_length(response, payload_.size());
    });
    server_.Get("/flaky", [this](const httplib::Request& request, httplib::Response& response) {
      bool first = record(request) == 1;
      serve_with_length(response, first ? cut_after_bytes_ : payload_.size());
    });
    server_.Get("/norange", [this](const httplib::Request& request, httplib::Response& response) {
      record(request);
      response.status = 200;
      response.set_chunked_content_provider(
          "application/octet-stream", [this](size_t offset, httplib::DataSink& sink) {
            if (offset >= payload_.size()) {
              sink.done();
              return true;
            }
            size_t n = std::min<size_t>(8192, payload_.size() - offset);
            return sink.write(payload_.data() + offset, n);
          });
    });
    server_.Get("/redirect", [this](const httplib::Request& request, httplib::Response& response) {
      record(request);
      response.set_redirect("/file");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~LocalHttpServer() {
    server_.stop();
    thread_.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> ranges() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ranges_;
  }

 private:
  // Returns the request count so far (1 = first).
  size_t record(const httplib::Request& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_.push_back(request.get_header_value("Range"));
    return ranges_.size();
  }
  // Declares the whole payload's length but stops after `send_bytes` (closing the connection).
  void serve_with_length(httplib::Response& response, size_t send_bytes) {
    response.set_content_provider(
        payload_.size(), "application/octet-stream",
        [this, send_bytes](size_t offset, size_t length, httplib::DataSink& sink) {
          if (offset >= send_bytes) return false;  // drop the connection
          size_t n = std::min({length, size_t{8192}, send_bytes - offset});
          return sink.write(payload_.data() + offset, n);
        });
  }

  std::string payload_;
  size_t cut_after_bytes_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> ranges_;
};

}  // namespace parley::models::testing
