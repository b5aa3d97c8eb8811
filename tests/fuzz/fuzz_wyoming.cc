// The Wyoming protocol (assistant/server/wyoming.h): the bytes a Home Assistant peer sends,
// through WyomingParser and then WyomingSession, without sockets.
//
// The first byte chooses how the stream is cut into feed() pieces. Contract checks:
//   * the same results for the whole stream and for the cut one (parser state survives any split);
//   * the parser never holds more than the header limit plus one event's data and payload;
//   * after a fatal error everything is refused;
//   * the session answers only with events that serialize and parse back to themselves.
// The session has no recognizer and no configured voice, so model work is refused with an error
// event; synthesize events naming an espeak voice are not handed to it (they would run espeak-ng,
// which is not the surface under test).
#include <string>
#include <vector>

#include "assistant/server/wyoming.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using parley::assistant::server::WyomingEvent;
using parley::assistant::server::WyomingLimits;
using parley::assistant::server::WyomingParser;

// Small limits so that over-limit paths are reachable with fuzzer-sized inputs.
WyomingLimits fuzz_limits() {
  WyomingLimits limits;
  limits.max_header_bytes = 512;
  limits.max_data_bytes = 1024;
  limits.max_payload_bytes = 2048;
  limits.max_audio_seconds = 0.5;
  return limits;
}

std::string describe(const WyomingParser::Result& r) {
  switch (r.status) {
    case WyomingParser::Status::kNeedMore:
      return "need-more";
    case WyomingParser::Status::kError:
      return std::string(r.fatal ? "fatal:" : "error:") + r.error;
    case WyomingParser::Status::kEvent:
      return "event:" + r.event.type + "|" +
             r.event.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "|" +
             r.event.payload;
  }
  return "?";
}

struct Parsed {
  std::vector<std::string> results;  // every non-need-more result, in order
  std::vector<WyomingEvent> events;
};

Parsed parse(std::string_view bytes, uint8_t pattern) {
  const WyomingLimits limits = fuzz_limits();
  WyomingParser parser(limits);
  Parsed out;
  bool failed = false;
  size_t i = 0, k = 0;
  while (i < bytes.size()) {
    const size_t n = pattern == 0 ? bytes.size() : 1 + ((pattern >> (k++ % 8)) & 0x1f);
    const std::string_view piece = bytes.substr(i, n);
    parser.feed(piece);
    i += piece.size();
    for (;;) {
      WyomingParser::Result r = parser.next();
      if (r.status == WyomingParser::Status::kNeedMore) break;
      if (failed && !(r.status == WyomingParser::Status::kError && r.fatal)) __builtin_trap();
      if (r.status == WyomingParser::Status::kError && r.fatal) {
        if (!failed) out.results.push_back(describe(r));
        failed = true;
        break;
      }
      out.results.push_back(describe(r));
      if (r.status == WyomingParser::Status::kEvent) out.events.push_back(std::move(r.event));
    }
    // Bounded buffering: a header line (+ newline) and one event's sections at most, plus the
    // piece that just arrived.
    if (parser.buffered_bytes() >
        limits.max_header_bytes + 1 + limits.max_data_bytes + limits.max_payload_bytes + n)
      __builtin_trap();
  }
  return out;
}

bool runs_espeak(const WyomingEvent& event) {
  if (event.type != "synthesize") return false;
  const auto voice = event.data.find("voice");
  if (voice == event.data.end() || !voice->is_object()) return false;
  const auto name = voice->find("name");
  return name != voice->end() && name->is_string() &&
         name->get<std::string>().rfind("espeak:", 0) == 0;
}

}  // namespace

PARLEY_FUZZ_TARGET(wyoming) {
  if (size < 1) return 0;
  const std::string_view bytes = parley::fuzz::as_text(data + 1, size - 1);
  const Parsed whole = parse(bytes, 0);
  const Parsed split = parse(bytes, data[0] | 1);
  if (whole.results != split.results) __builtin_trap();

  parley::assistant::server::WyomingServices services;  // no models: work is refused
  const WyomingLimits limits = fuzz_limits();
  size_t sent = 0;
  parley::assistant::server::WyomingSession session(
      services, limits, [&](const WyomingEvent& reply) {
        // What we send must be one well-formed event that parses back to itself.
        WyomingParser check;  // default limits: replies may quote the peer's text
        check.feed(parley::assistant::server::serialize_wyoming_event(reply));
        const WyomingParser::Result r = check.next();
        if (r.status != WyomingParser::Status::kEvent || r.event.type != reply.type ||
            r.event.payload != reply.payload || check.buffered_bytes() != 0)
          __builtin_trap();
        ++sent;
        return sent < 64;  // a peer that goes away after a while
      });
  for (const WyomingEvent& event : whole.events) {
    if (runs_espeak(event)) continue;
    if (!session.handle(event)) break;
  }
  return 0;
}
