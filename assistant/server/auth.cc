#include "assistant/server/auth.h"

#include <cctype>

namespace parley::assistant::server {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Walk the expected length whatever the candidate's length; fold every difference in.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    const unsigned char other = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | (static_cast<unsigned char>(a[i]) ^ other);
  }
  return diff == 0;
}

std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  if (header[kScheme.size()] != ' ') return std::nullopt;
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

bool request_authorized(std::string_view api_key, std::string_view path, std::string_view header) {
  // /health for probes; / is the kiosk page, which holds no secrets and asks for the key itself.
  if (api_key.empty() || path == "/health" || path == "/") return true;
  const std::optional<std::string_view> token = bearer_token(header);
  return token && constant_time_equals(api_key, *token);
}

}  // namespace parley::assistant::server
