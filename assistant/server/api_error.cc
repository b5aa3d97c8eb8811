#include "assistant/server/api_error.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace parley::assistant::server {

ApiError::ApiError(int status, std::string message, std::string param, std::string code)
    : std::runtime_error(std::move(message)),
      status_(status),
      param_(std::move(param)),
      code_(std::move(code)) {}

const char* ApiError::type() const {
  switch (status_) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "service_unavailable";
    default:
      return status_ >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string ApiError::to_json() const {
  nlohmann::json error = {
      {"message", what()},
      {"type", type()},
      {"param", param_.empty() ? nlohmann::json(nullptr) : nlohmann::json(param_)},
      {"code", code_.empty() ? nlohmann::json(nullptr) : nlohmann::json(code_)}};
  return nlohmann::json{{"error", error}}.dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
}

void send_api_error(httplib::Response& response, const ApiError& error, int retry_after_s) {
  response.status = error.status();
  if (error.status() == 429 || error.status() == 503)
    response.set_header("Retry-After", std::to_string(retry_after_s));
  if (error.status() == 401) response.set_header("WWW-Authenticate", "Bearer");
  response.set_content(error.to_json(), "application/json");
}

ApiError admission_error(WorkQueue::Status status) {
  switch (status) {
    case WorkQueue::Status::kQueueFull:
      return ApiError(
          429, "the server is busy: too many requests are waiting for the model; retry later", {},
          "queue_full");
    case WorkQueue::Status::kTimedOut:
      return ApiError(503,
                      "the server is busy: the request waited too long for the model; retry later",
                      {}, "queue_timeout");
    case WorkQueue::Status::kCancelled:
      return ApiError(499, "the client went away while the request waited", {}, "cancelled");
    case WorkQueue::Status::kClosed:
    case WorkQueue::Status::kAdmitted:
      break;
  }
  return ApiError(503, "the server is shutting down", {}, "shutting_down");
}

}  // namespace parley::assistant::server
