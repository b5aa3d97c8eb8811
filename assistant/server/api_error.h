// ApiError — an HTTP error in OpenAI's error-object shape:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "messages",
//              "code": "missing_field"}}
// ("param" and "code" are null when absent).
//
//   throw ApiError(400, "'messages' must be a non-empty array", "messages", "invalid_value");
//   ...
//   catch (const ApiError& e) { send_api_error(response, e); }
//
// Status → type: 400/404/413/415/422 invalid_request_error, 401 authentication_error,
// 429 rate_limit_error (queue full), 503 service_unavailable (not ready, shutting down, queue
// wait too long), 500 server_error.
// reject_admission() maps a WorkQueue status to 429 (kQueueFull) or 503 (others) with
// Retry-After.
#pragma once

#include <stdexcept>
#include <string>

#include "assistant/server/work_queue.h"

namespace httplib {
struct Response;
}

namespace parley::assistant::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string param = {}, std::string code = {});
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  const std::string& code() const { return code_; }
  const char* type() const;
  std::string to_json() const;  // the error object, serialised

 private:
  int status_;
  std::string param_;
  std::string code_;
};

// Sets status, JSON body and, for 429/503, "Retry-After: retry_after_s".
void send_api_error(httplib::Response& response, const ApiError& error, int retry_after_s = 1);

// The ApiError for a WorkQueue admission that did not get a lease.
ApiError admission_error(WorkQueue::Status status);

}  // namespace parley::assistant::server
