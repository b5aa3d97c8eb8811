// The kiosk page of `parley serve`: GET / answers assistant/server/kiosk.html, embedded at build
// time (CMakeLists.txt writes it into generated/kiosk_page.inc).
//
// The page is self-contained (inline CSS and JS, no external resources) and shows the live state,
// transcripts, the streamed reply, timers and the last turn's latency; it records push-to-talk
// audio in the browser, posts it to /v1/converse, plays the reply clauses, and follows GET /events.
// An API key, when the server needs one, is read from the URL fragment (/#key=SECRET) and sent as
// a Bearer token on its fetches.
//
// Contracts
//   * Every response carries a fresh nonce: the page's <script> and <style> carry it, and the
//     Content-Security-Policy allows only them — no inline handlers, nothing from another origin
//     (connect-src 'self'; img-src data: for the empty favicon) — plus nosniff, no-referrer,
//     no caching and no framing.
//   * The route is subject to the server's auth like every route but /health (auth.h): with an
//     API key a browser cannot open it, since navigation sends no Authorization header.
#pragma once

#include <string>
#include <string_view>

namespace httplib {
class Server;
}

namespace parley::assistant::server {

struct ServerContext;

void register_kiosk_routes(httplib::Server& server, ServerContext& context);

// The embedded page with its nonce placeholders replaced by `nonce`.
std::string kiosk_page_html(std::string_view nonce);

// The Content-Security-Policy header value that goes with kiosk_page_html(nonce).
std::string kiosk_content_security_policy(std::string_view nonce);

// A fresh random nonce (base64 of 16 bytes).
std::string kiosk_nonce();

}  // namespace parley::assistant::server
