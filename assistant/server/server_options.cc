#include "assistant/server/server_options.h"

#include <arpa/inet.h>

#include "kernels/error.h"

namespace parley::assistant::server {

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  std::string text(host);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void ServerOptions::validate() const {
  auto fail = [](const std::string& field, const std::string& why) {
    throw Error("ServerOptions." + field + ": " + why);
  };
  if (host.empty()) fail("host", "must not be empty");
  if (!is_loopback_host(host) && api_key.empty())
    fail("host",
         "'" + host + "' is not a loopback address; set an API key (--api-key) to serve on it");
  if (port < 0 || port > 65535) fail("port", "must be 0..65535, got " + std::to_string(port));
  if (max_body_bytes < 1024) fail("max_body_bytes", "must be at least 1024");
  if (read_timeout_s < 1) fail("read_timeout_s", "must be >= 1");
  if (write_timeout_s < 1) fail("write_timeout_s", "must be >= 1");
  if (http_threads < 2) fail("http_threads", "must be >= 2");
  if (model_workers < 1) fail("model_workers", "must be >= 1");
  if (threads_per_worker < 0) fail("threads_per_worker", "must be >= 0");
  if (queue_capacity < 0) fail("queue_capacity", "must be >= 0");
  if (queue_wait_ms < 0) fail("queue_wait_ms", "must be >= 0");
  if (retry_after_s < 1) fail("retry_after_s", "must be >= 1");
  if (shutdown_grace_ms < 0) fail("shutdown_grace_ms", "must be >= 0");
  if (context_length < 0) fail("context_length", "must be >= 0");
}

}  // namespace parley::assistant::server
