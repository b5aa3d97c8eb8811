// Bearer-token authentication of `parley serve`.
//
//   if (!request_authorized(options.api_key, request.path,
//   request.get_header_value("Authorization")))
//     → 401 with the OpenAI error object.
//
// Contracts
//   * No key configured: every request is authorized (the server is then loopback-only,
//     ServerOptions::validate()).
//   * With a key: /health and / (the kiosk page: static, no secrets; it sends the key from its
//     URL fragment on every request it makes) are open; every other path needs
//     "Authorization: Bearer <key>"
//     (scheme case-insensitive). The key is compared in constant time for a given key length,
//     so response timing does not reveal how many leading characters were right.
#pragma once

#include <optional>
#include <string_view>

namespace parley::assistant::server {

// Compares every byte of both strings whatever they hold; false when lengths differ.
bool constant_time_equals(std::string_view a, std::string_view b);

// The token of "Bearer <token>", nullopt for any other header.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

bool request_authorized(std::string_view api_key, std::string_view path,
                        std::string_view authorization_header);

}  // namespace parley::assistant::server
