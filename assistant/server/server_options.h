// ServerOptions — how `parley serve` listens: address, auth, limits, admission queue, shutdown.
//
//   ServerOptions options;                 // defaults: 127.0.0.1:8080, no key, 25 MiB bodies
//   options.host = "0.0.0.0"; options.api_key = "secret";
//   options.validate();                    // throws parley::Error naming the field
//
// Contracts
//   * A host that is not a loopback address (127.0.0.0/8, ::1, "localhost") needs an API key:
//     validate() refuses it otherwise. With a key every route except /health needs
//     "Authorization: Bearer <key>".
//   * Model work (a chat completion, a transcription, a synthesis) runs on one of
//     `model_workers` workers; at most `queue_capacity` requests wait for one. A request that
//     finds the queue full gets 429, one that waits longer than `queue_wait_ms` (or arrives
//     while shutting down / before models are loaded) gets 503; both carry Retry-After. The
//     queue is fair to clients (peer addresses): one client may fill at most three quarters of
//     it, and a free worker goes to the client served least recently (WorkQueue).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::assistant::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0 = pick a free port (tests)
  std::string api_key;                // "" = no auth (loopback only)
  size_t max_body_bytes = 25u << 20;  // whole request body (audio uploads are the largest)
  int read_timeout_s = 30;            // per socket read
  int write_timeout_s = 30;           // per socket write
  int http_threads = 256;             // connections served at once, a thread each, started as
                                      // needed (SSE clients hold one; connection_pool.h)
  int model_workers = 1;              // model jobs run at once, each on its own thread pool
  int threads_per_worker = 0;         // 0 = all cores / model_workers
  int queue_capacity = 8;             // requests waiting for a worker; beyond: 429
  int queue_wait_ms = 30000;          // longest wait for a worker; beyond: 503
  int retry_after_s = 1;              // Retry-After of 429 / 503 answers
  int shutdown_grace_ms = 5000;       // in-flight streams get this long to finish on SIGTERM
  int context_length = 0;             // per-request LLM context; 0 = the model's, at most 4096
  std::string model_id;               // id of the chat model in /v1/models; "" = file stem

  void validate() const;  // throws parley::Error "ServerOptions.<field>: ..."
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace parley::assistant::server
