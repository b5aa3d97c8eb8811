#include "assistant/server/kiosk_page.h"

#include <httplib.h>

#include <array>
#include <random>

#include "assistant/server/audio_routes.h"
#include "assistant/server/server_context.h"

namespace parley::assistant::server {
namespace {

constexpr std::string_view kPage =
#include "kiosk_page.inc"
    ;

constexpr std::string_view kNoncePlaceholder = "__CSP_NONCE__";

}  // namespace

std::string kiosk_nonce() {
  std::random_device device;
  std::array<char, 16> bytes{};
  for (char& b : bytes) b = static_cast<char>(device() & 0xFF);
  return base64_encode(std::string_view(bytes.data(), bytes.size()));
}

std::string kiosk_page_html(std::string_view nonce) {
  std::string out;
  out.reserve(kPage.size() + 64);
  size_t from = 0;
  for (size_t at = kPage.find(kNoncePlaceholder); at != std::string_view::npos;
       at = kPage.find(kNoncePlaceholder, from)) {
    out.append(kPage.substr(from, at - from));
    out.append(nonce);
    from = at + kNoncePlaceholder.size();
  }
  out.append(kPage.substr(from));
  return out;
}

std::string kiosk_content_security_policy(std::string_view nonce) {
  const std::string n = "'nonce-" + std::string(nonce) + "'";
  return "default-src 'none'; script-src " + n + "; style-src " + n +
         "; connect-src 'self'; img-src data:; base-uri 'none'; "
         "form-action 'none'; frame-ancestors 'none'";
}

void register_kiosk_routes(httplib::Server& server, ServerContext& context) {
  (void)context;  // the page needs nothing from it: it learns the rest from the API
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    const std::string nonce = kiosk_nonce();
    response.set_header("Content-Security-Policy", kiosk_content_security_policy(nonce));
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Permissions-Policy", "microphone=(self)");
    response.set_content(kiosk_page_html(nonce), "text/html; charset=utf-8");
  });
}

}  // namespace parley::assistant::server
