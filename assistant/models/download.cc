// Resumable, verified HTTP(S) download (see download.h).
#include "assistant/models/download.h"

#include <httplib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "assistant/models/checksum.h"
#include "kernels/error.h"

namespace parley::models {
namespace {

namespace fs = std::filesystem;

uint64_t file_size_or_zero(const std::string& path) {
  std::error_code error;
  uint64_t size = fs::file_size(path, error);
  return error ? 0 : size;
}

// "bytes 100-199/1000" → 100 (start) and 1000 (total, 0 if "*"); false when malformed.
bool parse_content_range(const std::string& value, uint64_t* start, uint64_t* total) {
  unsigned long long first = 0, last = 0;
  char total_text[32] = {0};
  if (std::sscanf(value.c_str(), "bytes %llu-%llu/%31s", &first, &last, total_text) != 3)
    return false;
  *start = first;
  *total = (total_text[0] == '*') ? 0 : std::strtoull(total_text, nullptr, 10);
  return true;
}

std::string describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect";
    case httplib::Error::ConnectionTimeout:
      return "connection timed out";
    case httplib::Error::Read:
      return "connection lost while reading";
    case httplib::Error::Write:
      return "connection lost while sending the request";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "could not load the system's CA certificates";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate is not trusted";
    default:
      return httplib::to_string(error);
  }
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// One GET (after redirects) of `url` appending to the .part file from `offset`.
enum class AttemptOutcome { kComplete, kNetworkError, kRangeNotSatisfiable };

struct AttemptState {
  int status = 0;
  std::string location;
  std::string reason;        // HTTP reason phrase
  uint64_t start_bytes = 0;  // where this response's body begins in the file
  uint64_t total_bytes = 0;  // 0 = unknown
  bool body_accepted = false;
  bool range_ignored = false;
  std::string write_error;
  std::unique_ptr<FILE, int (*)(FILE*)> file{nullptr, &std::fclose};
};

}  // namespace

UrlParts split_url(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw Error("not a URL: \"" + url + "\"");
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw Error("unsupported URL scheme \"" + scheme + "\" in " + url + " (http and https only)");
  }
  size_t host_begin = scheme_end + 3;
  size_t path_begin = url.find_first_of("/?#", host_begin);
  std::string authority = url.substr(
      host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
  if (authority.empty()) throw Error("URL without a host: " + url);
  UrlParts parts;
  parts.scheme_host_port = scheme + "://" + authority;
  std::string rest = path_begin == std::string::npos ? "" : url.substr(path_begin);
  parts.path = (!rest.empty() && rest.front() == '/') ? rest : "/" + rest;
  size_t fragment = parts.path.find('#');
  if (fragment != std::string::npos) parts.path.resize(fragment);
  return parts;
}

std::string resolve_location(const std::string& base, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  UrlParts parts = split_url(base);
  if (location.rfind("//", 0) == 0) {
    return parts.scheme_host_port.substr(0, parts.scheme_host_port.find("://") + 1) + location;
  }
  if (!location.empty() && location.front() == '/') return parts.scheme_host_port + location;
  std::string directory = parts.path.substr(0, parts.path.find('?'));
  directory.resize(directory.rfind('/') + 1);
  return parts.scheme_host_port + directory + location;
}

namespace {

AttemptOutcome run_attempt(const std::string& url, const std::string& part_path, uint64_t offset,
                           const DownloadOptions& options, AttemptState& state,
                           std::string* network_error, std::string* final_url) {
  std::string current = url;
  for (int hop = 0; hop <= options.max_redirects; ++hop) {
    UrlParts parts = split_url(current);
    httplib::Client client(parts.scheme_host_port);
    client.set_follow_location(false);
    client.set_decompress(false);  // Range offsets count the bytes of the file, not of an encoding
    client.set_keep_alive(false);
    client.set_connection_timeout(options.connect_timeout_s, 0);
    client.set_read_timeout(options.read_timeout_s, 0);
    httplib::Headers headers = {{"Accept-Encoding", "identity"}, {"User-Agent", "parley/0.1"}};
    if (offset > 0) headers.emplace("Range", "bytes=" + std::to_string(offset) + "-");

    state = AttemptState{};
    auto on_response = [&](const httplib::Response& response) {
      state.status = response.status;
      state.reason = response.reason;
      if (is_redirect(response.status)) {
        state.location = response.get_header_value("Location");
        return false;
      }
      if (response.status == 206) {
        uint64_t start = 0, total = 0;
        if (!parse_content_range(response.get_header_value("Content-Range"), &start, &total) ||
            start != offset) {
          // A range we did not ask for: take the whole file instead.
          state.range_ignored = true;
          return false;
        }
        state.start_bytes = offset;
        state.total_bytes = total;
      } else if (response.status == 200) {
        state.start_bytes = 0;
        state.range_ignored = offset > 0;
        uint64_t length =
            response.has_header("Content-Length")
                ? std::strtoull(response.get_header_value("Content-Length").c_str(), nullptr, 10)
                : 0;
        state.total_bytes = length;
      } else {
        return false;  // 416 and HTTP errors: handled by the caller
      }
      state.file.reset(std::fopen(part_path.c_str(), state.start_bytes == 0 ? "wb" : "ab"));
      if (!state.file) {
        state.write_error = part_path + ": cannot open for writing: " + std::strerror(errno);
        return false;
      }
      state.body_accepted = true;
      return true;
    };
    uint64_t received = 0;
    auto on_data = [&](const char* data, size_t length) {
      if (std::fwrite(data, 1, length, state.file.get()) != length) {
        state.write_error = part_path + ": write failed: " + std::strerror(errno);
        return false;
      }
      received += length;
      if (options.on_progress) options.on_progress(state.start_bytes + received, state.total_bytes);
      return true;
    };
    httplib::Result result = client.Get(parts.path, headers, on_response, on_data);
    if (state.file && std::fflush(state.file.get()) != 0 && state.write_error.empty()) {
      state.write_error = part_path + ": write failed: " + std::strerror(errno);
    }
    state.file.reset();
    *final_url = current;
    if (!state.write_error.empty()) throw Error(state.write_error);

    if (is_redirect(state.status)) {
      if (state.location.empty())
        throw Error("GET " + current + ": HTTP " + std::to_string(state.status) +
                    " without a Location header");
      current = resolve_location(current, state.location);
      continue;
    }
    if (state.status == 416) return AttemptOutcome::kRangeNotSatisfiable;
    if (state.status == 206 && state.range_ignored && !state.body_accepted) {
      return AttemptOutcome::kRangeNotSatisfiable;  // unexpected range: start over
    }
    if (state.status != 0 && state.status != 200 && state.status != 206) {
      std::string reason = state.reason.empty() ? "" : " " + state.reason;
      throw Error("GET " + current + ": HTTP " + std::to_string(state.status) + reason);
    }
    if (!result || result.error() != httplib::Error::Success) {
      *network_error = describe(result.error());
      return AttemptOutcome::kNetworkError;
    }
    uint64_t have = file_size_or_zero(part_path);
    if (state.total_bytes != 0 && have < state.total_bytes) {
      *network_error = "connection closed after " + std::to_string(have) + " of " +
                       std::to_string(state.total_bytes) + " bytes";
      return AttemptOutcome::kNetworkError;
    }
    return AttemptOutcome::kComplete;
  }
  throw Error("GET " + url + ": more than " + std::to_string(options.max_redirects) + " redirects");
}

}  // namespace

DownloadResult download_file(const std::string& url, const std::string& dest_path,
                             const std::optional<std::string>& expected_sha256,
                             const std::optional<uint64_t>& expected_size_bytes,
                             const DownloadOptions& options) {
  auto log = [&](const std::string& message) {
    if (options.on_log) options.on_log(message);
  };
  const std::string part_path = dest_path + ".part";
  std::error_code error;
  fs::path parent = fs::path(dest_path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, error);
    if (error) throw Error(parent.string() + ": cannot create folder: " + error.message());
  }

  DownloadResult result;
  uint64_t offset = file_size_or_zero(part_path);
  if (expected_size_bytes && offset > *expected_size_bytes) {
    log(part_path + " is larger than the expected " + std::to_string(*expected_size_bytes) +
        " bytes; starting over");
    offset = 0;
    fs::remove(part_path, error);
  }
  if (offset > 0) log("resuming " + dest_path + " from byte " + std::to_string(offset));
  result.resumed_from_bytes = offset;

  std::string final_url = url;
  bool complete = expected_size_bytes && offset == *expected_size_bytes && offset > 0;
  int network_failures = 0;
  int range_restarts = 0;
  while (!complete) {
    std::string network_error;
    AttemptState state;
    ++result.attempts;
    AttemptOutcome outcome =
        run_attempt(url, part_path, offset, options, state, &network_error, &final_url);
    if (state.range_ignored && offset > 0) {
      result.range_ignored = true;
      log(final_url + " ignored the Range request; the download restarted from byte 0");
    }
    if (outcome == AttemptOutcome::kComplete) {
      complete = true;
    } else if (outcome == AttemptOutcome::kRangeNotSatisfiable) {
      if (offset == 0 || ++range_restarts > 1) {
        throw Error("GET " + final_url + ": the server refused the byte range (HTTP " +
                    std::to_string(state.status) + ")");
      }
      log(final_url + " cannot continue " + part_path + " from byte " + std::to_string(offset) +
          "; starting over");
      fs::remove(part_path, error);
      offset = 0;
    } else {
      offset = file_size_or_zero(part_path);
      if (offset == 0) fs::remove(part_path, error);  // nothing worth keeping
      if (++network_failures >= options.max_attempts) {
        throw Error("GET " + final_url + ": network error: " + network_error + " (" +
                    std::to_string(offset) + " bytes kept in " + part_path +
                    "; run again to resume)");
      }
      log("GET " + final_url + ": " + network_error + "; retrying from byte " +
          std::to_string(offset));
    }
  }

  result.size_bytes = file_size_or_zero(part_path);
  if (expected_size_bytes && result.size_bytes != *expected_size_bytes) {
    fs::remove(part_path, error);
    throw Error("size mismatch for " + dest_path + " (from " + final_url + "): expected " +
                std::to_string(*expected_size_bytes) + " bytes, got " +
                std::to_string(result.size_bytes) + "; the partial file was deleted");
  }
  result.sha256 = sha256_file(part_path);
  if (expected_sha256) {
    if (result.sha256 != *expected_sha256) {
      fs::remove(part_path, error);
      throw Error("checksum mismatch for " + dest_path + " (from " + final_url +
                  "): expected sha256 " + *expected_sha256 + ", got " + result.sha256 +
                  "; the downloaded file was deleted");
    }
    result.verified = true;
  } else {
    log("warning: no published sha256 for " + dest_path +
        "; the file is NOT verified (its sha256 is " + result.sha256 + ")");
  }
  fs::rename(part_path, dest_path, error);
  if (error) throw Error(part_path + ": cannot rename to " + dest_path + ": " + error.message());
  return result;
}

}  // namespace parley::models
