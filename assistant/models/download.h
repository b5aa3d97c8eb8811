// download_file — fetch one URL into a file, resumable and verified, never half-written.
//
// The bytes go to `<dest>.part`; a later call (or the next attempt of this one) continues from
// the .part's size with an HTTP Range request. A server that answers a Range request with
// 200 (ignoring it) restarts the file from byte 0; one that answers 416 has the .part discarded.
// When the transfer ends, the size (if known) and SHA-256 (if known) are checked, and only then
// is the .part renamed to `dest` (an atomic rename in the same folder). On a checksum mismatch
// the .part is deleted and parley::Error names the file, the URL and both digests.
//
// Contracts
//   * http:// and https:// (OpenSSL, the system's CA store); redirects (301/302/303/307/308)
//     are followed up to DownloadOptions::max_redirects, the Range header travels with them.
//   * HTTP errors throw at once: "GET <url>: HTTP 404 Not Found". Network errors retry (resuming)
//     up to max_attempts, then throw "GET <url>: network error: <reason> ... (<n> bytes kept
//     in <dest>.part; run again to resume)".
//   * Without an expected sha256 the file is kept and on_log receives a warning carrying the
//     computed digest; DownloadResult::verified is false.
//   * Callbacks run on the calling thread. Not re-entrant for the same dest.
//
// Usage
//   DownloadOptions options;
//   options.on_progress = [](uint64_t done, uint64_t total) { ... };  // total 0 = unknown
//   DownloadResult r = download_file("https://host/m.gguf", "/tmp/m.gguf", digest, size, options);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace parley::models {

struct DownloadOptions {
  int max_redirects = 10;
  int max_attempts = 3;  // network failures retried, each resuming from the .part file
  int connect_timeout_s = 15;
  int read_timeout_s = 60;
  std::function<void(uint64_t bytes_done, uint64_t bytes_total)> on_progress;  // total 0 = unknown
  std::function<void(const std::string& message)> on_log;  // resume/restart notes, warnings
};

struct DownloadResult {
  uint64_t size_bytes = 0;
  std::string sha256;
  bool verified = false;            // an expected sha256 was given and matched
  uint64_t resumed_from_bytes = 0;  // the .part size the first request continued from
  bool range_ignored = false;       // the server answered a Range request with the whole file
  int attempts = 0;                 // HTTP requests that carried content (redirects excluded)
};

DownloadResult download_file(const std::string& url, const std::string& dest_path,
                             const std::optional<std::string>& expected_sha256,
                             const std::optional<uint64_t>& expected_size_bytes,
                             const DownloadOptions& options = {});

// Splits "https://host:8443/a/b?c" into {"https://host:8443", "/a/b?c"}. Throws parley::Error
// for anything but an http(s) URL with a host.
struct UrlParts {
  std::string scheme_host_port;
  std::string path;  // starts with '/'
};
UrlParts split_url(const std::string& url);

// The absolute URL a Location header points to, relative to `base`.
std::string resolve_location(const std::string& base, const std::string& location);

}  // namespace parley::models
