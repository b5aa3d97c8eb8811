// Wyoming protocol server — the JSON-lines + payload protocol Home Assistant speaks to its
// speech services, so Home Assistant can use Parley for speech-to-text and text-to-speech.
//
// Wire format (one event)
//   {"type": "...", "data": {...}?, "data_length": N?, "payload_length": M?, "version": "..."?}\n
//   then N bytes of UTF-8 JSON (an object merged over "data"), then M bytes of payload.
// Written events put their data in the data section (data_length), like the reference
// implementation, and carry "version".
//
// Events served
//   describe                       → info {asr: [program with models], tts: [program with
//                                    voices], wake: [program with the wake phrase as its
//                                    model, when an ASR model is loaded], handle: [], intent: []}
//   transcribe {name?, language?}  then audio-start {rate, width, channels}, audio-chunk (PCM
//                                  payload; width 2 = 16-bit only, 1..8 channels, 8..192 kHz),
//                                  audio-stop → transcript {text, language}
//   synthesize {text, voice?: {name?}} → audio-start, audio-chunk (16-bit mono at the voice's
//                                  rate, about 100 ms each), audio-stop
//   detect {names?}                then audio-start, audio-chunk..., audio-stop: the wake phrase
//                                  (wake.phrase, "hey parley" when unset) is spotted in the
//                                  streaming recognizer's partial transcripts as the chunks
//                                  arrive (matched as `parley listen` matches it: words, one
//                                  edit allowed in words of four letters or more); each time it
//                                  is heard → detection {name, timestamp: ms of audio since
//                                  audio-start}, and listening goes on for the next one.
//                                  audio-stop with no detection → not-detected. `names` that do
//                                  not include the phrase, or no ASR model, detect nothing. The
//                                  audio is decoded as it comes (no work-queue lease: a wake
//                                  stream never ends) and not kept.
//   ping {text?}                   → pong {text?}
//   anything else                  → ignored (the protocol allows unknown events)
// Errors are error events {text, code}: a header that is not JSON (code "bad-event", the line is
// skipped and the connection continues), a bad field ("bad-audio", "bad-request"), model work
// refused by the queue ("busy"), a failed engine ("asr-failed", "tts-failed"). A header longer
// than max_header_bytes, a data or payload length that is negative, not an integer or over the
// limits, or audio longer than max_audio_seconds sends an error and closes the connection
// (the stream cannot be resynchronised).
//
// Threads: one accept thread; one thread per connection (at most max_connections, later ones
// are closed at once). Model work takes a WorkQueue lease when a queue is given. stop() closes
// the listening socket and every connection and joins all threads.
//
// Usage
//   WyomingServer wyoming(WyomingServices::from_context(context));
//   int port = wyoming.start("127.0.0.1", 10300);   // 0 = any free port
//   ...
//   wyoming.stop();
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "assistant/core/config.h"

namespace parley::asr {
class Recognizer;
class Stream;
}

namespace parley::assistant::server {

class EventBus;
class WorkQueue;
struct ServerContext;

struct WyomingEvent {
  std::string type;
  nlohmann::json data = nlohmann::json::object();
  std::string payload;
};

struct WyomingLimits {
  size_t max_header_bytes = 64 * 1024;
  size_t max_data_bytes = 1 << 20;
  size_t max_payload_bytes = 4 << 20;
  double max_audio_seconds = 300;
  int max_connections = 16;
  int idle_timeout_s = 300;  // a connection silent this long is closed
};

// The bytes of one event (see the header comment).
std::string serialize_wyoming_event(const WyomingEvent& event);

// Incremental reader: feed() bytes as they arrive, next() takes whole events out.
class WyomingParser {
 public:
  enum class Status { kNeedMore, kEvent, kError };
  struct Result {
    Status status = Status::kNeedMore;
    WyomingEvent event;  // kEvent
    std::string error;   // kError: what is wrong
    bool fatal = false;  // kError: the stream cannot continue
  };

  explicit WyomingParser(WyomingLimits limits = {}) : limits_(limits) {}
  void feed(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  Result next();
  size_t buffered_bytes() const { return buffer_.size(); }

 private:
  WyomingLimits limits_;
  std::string buffer_;
  bool have_header_ = false;
  bool header_bad_ = false;  // header parsed but invalid: skip its bytes, then report
  std::string header_error_;
  WyomingEvent pending_;
  size_t data_length_ = 0;
  size_t payload_length_ = 0;
  bool failed_ = false;  // after a fatal error everything is refused
};

struct WyomingServices {
  std::shared_ptr<const asr::Recognizer> recognizer;  // null: no ASR program in info
  std::string asr_model_id = "parley-asr";
  std::string wake_phrase = "hey parley";  // detect's phrase; "" = no wake program
  std::string voice_spec;  // configured voice; "" = no TTS program in info
  VoiceOptions voice_options;
  WorkQueue* work_queue = nullptr;        // optional admission for model work
  EventBus* events = nullptr;             // optional: publishes final / speaking
  std::atomic<bool>* stopping = nullptr;  // optional: server shutdown flag

  static WyomingServices from_context(ServerContext& context);
};

// One connection's protocol state, independent of sockets: handle() each parsed event; `send`
// writes an event to the peer and returns false when the peer is gone.
class WyomingSession {
 public:
  using Send = std::function<bool(const WyomingEvent&)>;
  WyomingSession(const WyomingServices& services, const WyomingLimits& limits, Send send);
  ~WyomingSession();
  WyomingSession(const WyomingSession&) = delete;
  WyomingSession& operator=(const WyomingSession&) = delete;

  // Returns false when the connection should close (a send failed or a fatal limit was hit).
  bool handle(const WyomingEvent& event);
  // Reports a parser error to the peer.
  bool report_error(const std::string& text, const std::string& code);

  nlohmann::json info() const;

 private:
  enum class Mode { kNone, kTranscribe, kDetect };
  bool on_audio_start(const nlohmann::json& data);
  bool on_audio_chunk(const WyomingEvent& event);
  bool on_audio_stop();
  bool on_synthesize(const nlohmann::json& data);
  bool on_detect(const nlohmann::json& data);
  bool spot_wake_phrase(std::span<const float> mono);
  bool set_format(const nlohmann::json& data);

  const WyomingServices& services_;
  WyomingLimits limits_;
  Send send_;
  Mode mode_ = Mode::kNone;
  std::string language_ = "en";
  bool audio_open_ = false;
  int rate_hz_ = 0, width_ = 0, channels_ = 0;
  std::vector<float> samples_;  // mono at rate_hz_
  // detect: the phrase's words, whether this request listens for it, the stream decoding the
  // audio so far, samples since audio-start and whether the phrase was heard in this stream.
  std::vector<std::string> wake_words_;
  bool wake_wanted_ = false;
  std::unique_ptr<asr::Stream> wake_stream_;
  int64_t wake_samples_ = 0;
  bool detected_ = false;
};

class WyomingServer {
 public:
  WyomingServer(WyomingServices services, WyomingLimits limits = {});
  ~WyomingServer();
  WyomingServer(const WyomingServer&) = delete;
  WyomingServer& operator=(const WyomingServer&) = delete;

  // Binds and starts accepting; returns the bound port. Throws parley::Error naming host:port.
  int start(const std::string& host, int port);
  void stop();
  int port() const { return port_; }
  int active_connections() const { return active_.load(); }

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void accept_loop();
  void serve(Connection& connection);
  void reap_finished();

  WyomingServices services_;
  WyomingLimits limits_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_{0};
  std::thread accept_thread_;
  std::mutex mutex_;
  std::list<Connection> connections_;
};

}  // namespace parley::assistant::server
