#include "assistant/server/wyoming.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "asr/recognizer.h"
#include "assistant/core/wake_phrase.h"
#include "assistant/server/api_error.h"
#include "assistant/server/audio_codec.h"
#include "assistant/server/audio_routes.h"
#include "assistant/server/audio_transcriber.h"
#include "assistant/server/audio_voice.h"
#include "assistant/server/event_bus.h"
#include "assistant/server/server_context.h"
#include "assistant/server/work_queue.h"
#include "kernels/error.h"
#include "kernels/thread_pool.h"
#include "tts/text_shaping.h"
#include "tts/voice.h"
#include "tts/voice_factory.h"

namespace parley::assistant::server {
namespace {

using json = nlohmann::json;

constexpr const char* kProtocolVersion = "1.5.2";
constexpr size_t kSynthesisChunkSamples = 2048;

// A non-negative integer length field, or -1 when absent; -2 when present but invalid.
int64_t length_field(const json& header, const char* name) {
  const auto it = header.find(name);
  if (it == header.end() || it->is_null()) return -1;
  if (it->is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX));
  if (it->is_number_integer()) {
    const int64_t v = it->get<int64_t>();
    return v >= 0 ? v : -2;
  }
  return -2;
}

json attribution() {
  return {{"name", "Parley"}, {"url", "https://github.com/parley-assistant"}};
}

std::string voice_display_name(const std::string& spec) {
  std::string name = spec;
  if (const size_t slash = name.find_last_of('/'); slash != std::string::npos) {
    name = name.substr(slash + 1);
  }
  if (name.size() > 5 && name.ends_with(".onnx")) name.resize(name.size() - 5);
  return name;
}

bool write_all(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

// ---- wire format ------------------------------------------------------------------------------

std::string serialize_wyoming_event(const WyomingEvent& event) {
  json header = {{"type", event.type}, {"version", kProtocolVersion}};
  std::string data;
  if (event.data.is_object() && !event.data.empty()) {
    data = event.data.dump(-1, ' ', false, json::error_handler_t::replace);
    header["data_length"] = data.size();
  }
  if (!event.payload.empty()) header["payload_length"] = event.payload.size();
  std::string out = header.dump() + "\n";
  out += data;
  out += event.payload;
  return out;
}

WyomingParser::Result WyomingParser::next() {
  Result result;
  if (failed_) {
    result.status = Status::kError;
    result.fatal = true;
    result.error = "the stream failed earlier";
    return result;
  }
  auto fatal = [&](std::string message) {
    failed_ = true;
    buffer_.clear();
    result.status = Status::kError;
    result.fatal = true;
    result.error = std::move(message);
    return result;
  };
  while (!have_header_) {
    const size_t newline = buffer_.find('\n');
    if (newline == std::string::npos) {
      if (buffer_.size() > limits_.max_header_bytes) {
        return fatal("event header longer than " + std::to_string(limits_.max_header_bytes) +
                     " bytes");
      }
      return result;  // kNeedMore
    }
    if (newline > limits_.max_header_bytes) {
      return fatal("event header longer than " + std::to_string(limits_.max_header_bytes) +
                   " bytes");
    }
    std::string line = buffer_.substr(0, newline);
    buffer_.erase(0, newline + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
    json header = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded() || !header.is_object()) {
      result.status = Status::kError;
      result.error = "event header is not a JSON object";
      return result;
    }
    const int64_t data_length = length_field(header, "data_length");
    const int64_t payload_length = length_field(header, "payload_length");
    if (data_length == -2) return fatal("data_length must be a non-negative integer");
    if (payload_length == -2) return fatal("payload_length must be a non-negative integer");
    if (data_length > static_cast<int64_t>(limits_.max_data_bytes)) {
      return fatal("data_length " + std::to_string(data_length) + " is over the limit of " +
                   std::to_string(limits_.max_data_bytes));
    }
    if (payload_length > static_cast<int64_t>(limits_.max_payload_bytes)) {
      return fatal("payload_length " + std::to_string(payload_length) + " is over the limit of " +
                   std::to_string(limits_.max_payload_bytes));
    }
    data_length_ = data_length > 0 ? static_cast<size_t>(data_length) : 0;
    payload_length_ = payload_length > 0 ? static_cast<size_t>(payload_length) : 0;
    have_header_ = true;
    header_bad_ = false;
    pending_ = {};
    const auto type = header.find("type");
    if (type == header.end() || !type->is_string() || type->get<std::string>().empty()) {
      header_bad_ = true;
      header_error_ = "event has no \"type\" string";
    } else {
      pending_.type = type->get<std::string>();
    }
    if (const auto data = header.find("data"); data != header.end() && !data->is_null()) {
      if (data->is_object()) {
        pending_.data = *data;
      } else if (!header_bad_) {
        header_bad_ = true;
        header_error_ = "\"data\" must be a JSON object";
      }
    }
  }
  if (buffer_.size() < data_length_ + payload_length_) return result;  // kNeedMore
  if (data_length_ > 0) {
    json extra = json::parse(buffer_.substr(0, data_length_), nullptr, false);
    if ((extra.is_discarded() || !extra.is_object()) && !header_bad_) {
      header_bad_ = true;
      header_error_ = "the data section is not a JSON object";
    } else if (!header_bad_) {
      for (auto& [key, value] : extra.items()) pending_.data[key] = value;
    }
  }
  pending_.payload = buffer_.substr(data_length_, payload_length_);
  buffer_.erase(0, data_length_ + payload_length_);
  have_header_ = false;
  if (header_bad_) {
    result.status = Status::kError;
    result.error = header_error_;
    return result;
  }
  result.status = Status::kEvent;
  result.event = std::move(pending_);
  pending_ = {};
  return result;
}

// ---- services ---------------------------------------------------------------------------------

WyomingServices WyomingServices::from_context(ServerContext& context) {
  WyomingServices services;
  services.recognizer = context.asr_recognizer;
  if (!context.asr_model_id.empty()) services.asr_model_id = context.asr_model_id;
  if (!context.config.wake.phrase.empty()) services.wake_phrase = context.config.wake.phrase;
  services.voice_spec = context.voice_spec;
  services.voice_options = context.config.voice;
  services.work_queue = &context.work_queue;
  services.events = &context.events;
  services.stopping = &context.stopping;
  return services;
}

// ---- session ----------------------------------------------------------------------------------

WyomingSession::WyomingSession(const WyomingServices& services, const WyomingLimits& limits,
                               Send send)
    : services_(services), limits_(limits), send_(std::move(send)),
      wake_words_(normalized_words(services.wake_phrase)) {}

WyomingSession::~WyomingSession() = default;

json WyomingSession::info() const {
  json asr = json::array(), tts = json::array();
  if (services_.recognizer) {
    asr.push_back({{"name", "parley-asr"},
                   {"attribution", attribution()},
                   {"installed", true},
                   {"description", "Parley streaming transducer speech recognition"},
                   {"version", "0.1.0"},
                   {"models", json::array({{{"name", services_.asr_model_id},
                                            {"languages", json::array({"en"})},
                                            {"attribution", attribution()},
                                            {"installed", true},
                                            {"description", "streaming transducer"},
                                            {"version", "0.1.0"}}})}});
  }
  if (!services_.voice_spec.empty()) {
    json voices = json::array();
    voices.push_back({{"name", voice_display_name(services_.voice_spec)},
                      {"languages", json::array({"en"})},
                      {"attribution", attribution()},
                      {"installed", true},
                      {"description", services_.voice_spec},
                      {"version", "0.1.0"},
                      {"speakers", nullptr}});
    tts.push_back({{"name", "parley-tts"},
                   {"attribution", attribution()},
                   {"installed", true},
                   {"description", "Parley text to speech (espeak-ng, Piper)"},
                   {"version", "0.1.0"},
                   {"voices", voices}});
  }
  json wake = json::array();
  if (services_.recognizer && !wake_words_.empty()) {
    wake.push_back({{"name", "parley-wake"},
                    {"attribution", attribution()},
                    {"installed", true},
                    {"description", "Wake phrase spotted by Parley's streaming speech recognition"},
                    {"version", "0.1.0"},
                    {"models", json::array({{{"name", services_.wake_phrase},
                                             {"phrase", services_.wake_phrase},
                                             {"languages", json::array({"en"})},
                                             {"attribution", attribution()},
                                             {"installed", true},
                                             {"description", "the wake phrase, heard by " + services_.asr_model_id},
                                             {"version", "0.1.0"}}})}});
  }
  return {{"asr", asr},
          {"tts", tts},
          {"wake", wake},
          {"handle", json::array()},
          {"intent", json::array()}};
}

bool WyomingSession::report_error(const std::string& text, const std::string& code) {
  return send_({"error", {{"text", text}, {"code", code}}, {}});
}

bool WyomingSession::set_format(const json& data) {
  const auto integer = [&](const char* key) -> int {
    const auto it = data.find(key);
    return it != data.end() && it->is_number_integer() ? it->get<int>() : -1;
  };
  const int rate = integer("rate"), width = integer("width"), channels = integer("channels");
  if (rate < 8000 || rate > 192000) {
    report_error("audio rate must be an integer in 8000..192000 Hz", "bad-audio");
    return false;
  }
  if (width != 2) {
    report_error("audio width must be 2 (16-bit samples)", "bad-audio");
    return false;
  }
  if (channels < 1 || channels > 8) {
    report_error("audio channels must be 1..8", "bad-audio");
    return false;
  }
  if (audio_open_ && !samples_.empty() && rate != rate_hz_) {
    report_error("audio rate changed inside one stream", "bad-audio");
    return false;
  }
  rate_hz_ = rate;
  width_ = width;
  channels_ = channels;
  return true;
}

bool WyomingSession::on_audio_start(const json& data) {
  samples_.clear();
  audio_open_ = false;
  wake_stream_.reset();  // a new stream, maybe at another rate
  wake_samples_ = 0;
  if (!set_format(data)) return true;  // reported; the stream's chunks will be refused too
  audio_open_ = true;
  return true;
}

bool WyomingSession::on_audio_chunk(const WyomingEvent& event) {
  if (!audio_open_) {
    // audio-start is required, but a chunk that states its format may open the stream.
    if (!set_format(event.data)) return true;
    audio_open_ = true;
    samples_.clear();
  } else if (event.data.contains("rate") && !set_format(event.data)) {
    return true;
  }
  if (mode_ == Mode::kDetect && !wake_wanted_) return true;  // nothing to listen for: consumed
  std::vector<float> mono;
  try {
    mono = pcm16_to_mono(event.payload, channels_);
  } catch (const std::exception& e) {
    return report_error(e.what(), "bad-audio");
  }
  if (mode_ == Mode::kDetect) return spot_wake_phrase(mono);
  const double seconds = static_cast<double>(samples_.size() + mono.size()) / rate_hz_;
  if (seconds > limits_.max_audio_seconds) {
    report_error(
        "audio longer than " + std::to_string(static_cast<int>(limits_.max_audio_seconds)) + " s",
        "audio-too-long");
    return false;
  }
  samples_.insert(samples_.end(), mono.begin(), mono.end());
  return true;
}

bool WyomingSession::on_audio_stop() {
  const Mode mode = mode_;
  mode_ = Mode::kNone;
  const bool had_audio = audio_open_;
  audio_open_ = false;
  std::vector<float> samples = std::move(samples_);
  samples_.clear();
  if (mode == Mode::kDetect) {
    const bool detected = detected_;
    wake_stream_.reset();
    wake_samples_ = 0;
    detected_ = false;
    wake_wanted_ = false;
    return detected || send_({"not-detected", json::object(), {}});
  }
  if (mode != Mode::kTranscribe && !had_audio) return true;
  if (!services_.recognizer) {
    return report_error("no speech recognition model is loaded", "asr-not-loaded");
  }
  if (!had_audio || rate_hz_ <= 0) {
    return send_({"transcript", {{"text", ""}, {"language", language_}}, {}});
  }
  std::optional<WorkQueue::Lease> lease;
  if (services_.work_queue != nullptr) {
    WorkQueue::Admission admission =
        services_.work_queue->acquire(std::chrono::milliseconds(30000));
    if (!admission.lease) {
      return report_error(std::string("the server is busy: ") + to_string(admission.status),
                          "busy");
    }
    lease.emplace(std::move(*admission.lease));
  }
  std::string text;
  try {
    audio::SoundBuffer sound{std::move(samples), rate_hz_, 1};
    const Transcript transcript =
        transcribe_sound(*services_.recognizer, sound, lease ? &lease->pool() : nullptr,
                         {.language = language_, .cancelled = {}});
    text = transcript.text();
  } catch (const std::exception& e) {
    return report_error(std::string("transcription failed: ") + e.what(), "asr-failed");
  }
  lease.reset();
  if (services_.events != nullptr) {
    services_.events->publish("final", {{"request_id", "wyoming"}, {"text", text}});
  }
  return send_({"transcript", {{"text", text}, {"language", language_}}, {}});
}

bool WyomingSession::on_detect(const json& data) {
  mode_ = Mode::kDetect;
  wake_stream_.reset();
  wake_samples_ = 0;
  detected_ = false;
  wake_wanted_ = services_.recognizer != nullptr && !wake_words_.empty();
  // names: the wake words the client wants; ours must be among them (compared as words).
  if (const auto names = data.find("names"); wake_wanted_ && names != data.end() && names->is_array() &&
                                             !names->empty()) {
    wake_wanted_ = std::any_of(names->begin(), names->end(), [&](const json& name) {
      return name.is_string() && normalized_words(name.get<std::string>()) == wake_words_;
    });
  }
  return true;
}

bool WyomingSession::spot_wake_phrase(std::span<const float> mono) {
  try {
    if (!wake_stream_) wake_stream_ = services_.recognizer->create_stream();
    wake_stream_->accept(mono, rate_hz_);
    wake_samples_ += static_cast<int64_t>(mono.size());
    wake_stream_->decode();
    const asr::RecognitionResult partial = wake_stream_->partial();
    if (find_phrase_words(normalized_words(partial.text), wake_words_)) {
      detected_ = true;
      wake_stream_.reset();  // listen afresh for the next time it is said
      const int64_t timestamp_ms = wake_samples_ * 1000 / rate_hz_;
      if (services_.events != nullptr) {
        services_.events->publish("wake", {{"request_id", "wyoming"}, {"name", services_.wake_phrase}});
      }
      return send_({"detection", {{"name", services_.wake_phrase}, {"timestamp", timestamp_ms}}, {}});
    }
    if (wake_stream_->is_endpoint()) wake_stream_->reset();  // keep utterances short
  } catch (const std::exception& e) {
    wake_stream_.reset();
    return report_error(std::string("wake detection failed: ") + e.what(), "asr-failed");
  }
  return true;
}

bool WyomingSession::on_synthesize(const json& data) {
  const auto text_it = data.find("text");
  if (text_it == data.end() || !text_it->is_string()) {
    return report_error("synthesize needs a \"text\" string", "bad-request");
  }
  const std::string text = tts::shape_text_for_speech(text_it->get<std::string>());
  std::string voice_name = "default";
  if (const auto v = data.find("voice"); v != data.end() && v->is_object()) {
    if (const auto n = v->find("name"); n != v->end() && n->is_string()) {
      voice_name = n->get<std::string>();
    }
  }
  std::optional<std::string> spec = resolve_voice(voice_name, services_.voice_spec);
  if (!spec && voice_name == voice_display_name(services_.voice_spec)) spec = services_.voice_spec;
  if (!spec) return report_error("unknown voice '" + voice_name + "'", "unknown-voice");
  std::optional<WorkQueue::Lease> lease;
  if (services_.work_queue != nullptr) {
    WorkQueue::Admission admission =
        services_.work_queue->acquire(std::chrono::milliseconds(30000));
    if (!admission.lease) {
      return report_error(std::string("the server is busy: ") + to_string(admission.status),
                          "busy");
    }
    lease.emplace(std::move(*admission.lease));
  }
  std::shared_ptr<tts::Voice> voice;
  try {
    voice = open_request_voice(*spec, 1.0, services_.voice_options);
  } catch (const std::exception& e) {
    return report_error(e.what(), "unknown-voice");
  }
  const int rate = voice->sample_rate_hz();
  const json format = {{"rate", rate}, {"width", 2}, {"channels", 1}};
  if (!send_({"audio-start", format, {}})) return false;
  if (services_.events != nullptr) {
    services_.events->publish("speaking", {{"request_id", "wyoming"}, {"text", text}});
  }
  bool peer_alive = true;
  std::vector<float> pending;
  auto flush = [&]() {
    if (pending.empty()) return peer_alive;
    json chunk_data = format;
    peer_alive = send_({"audio-chunk", chunk_data, pcm16_bytes(pending)});
    pending.clear();
    return peer_alive;
  };
  try {
    if (!text.empty()) {
      voice->synthesize(text, [&](std::span<const float> samples) {
        if (services_.stopping != nullptr && services_.stopping->load()) return false;
        pending.insert(pending.end(), samples.begin(), samples.end());
        return pending.size() < kSynthesisChunkSamples || flush();
      });
    }
  } catch (const std::exception& e) {
    if (!peer_alive) return false;
    report_error(std::string("synthesis failed: ") + e.what(), "tts-failed");
  }
  if (!flush()) return false;
  return send_({"audio-stop", json::object(), {}});
}

bool WyomingSession::handle(const WyomingEvent& event) {
  const std::string& type = event.type;
  if (type == "describe") return send_({"info", info(), {}});
  if (type == "ping") {
    json data = json::object();
    if (event.data.contains("text")) data["text"] = event.data["text"];
    return send_({"pong", data, {}});
  }
  if (type == "transcribe") {
    mode_ = Mode::kTranscribe;
    if (const auto l = event.data.find("language"); l != event.data.end() && l->is_string()) {
      language_ = l->get<std::string>();
    }
    return true;
  }
  if (type == "detect") return on_detect(event.data);
  if (type == "audio-start") return on_audio_start(event.data);
  if (type == "audio-chunk") return on_audio_chunk(event);
  if (type == "audio-stop") return on_audio_stop();
  if (type == "synthesize") return on_synthesize(event.data);
  return true;  // unknown events are ignored
}

// ---- server -----------------------------------------------------------------------------------

WyomingServer::WyomingServer(WyomingServices services, WyomingLimits limits)
    : services_(std::move(services)), limits_(limits) {}

WyomingServer::~WyomingServer() {
  stop();
}

int WyomingServer::start(const std::string& host, int port) {
  if (listen_fd_ >= 0) throw Error("wyoming: already started");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
      rc != 0) {
    throw Error("wyoming: cannot resolve " + where + ": " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
      listen_fd_ = fd;
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) throw Error("wyoming: cannot listen on " + where + ": " + last_error);
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  stopping_.store(false);
  accept_thread_ = std::thread([this] { accept_loop(); });
  return port_;
}

void WyomingServer::stop() {
  if (listen_fd_ < 0) return;
  stopping_.store(true);
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::list<Connection> connections;
  {
    std::lock_guard lock(mutex_);
    for (Connection& c : connections_) ::shutdown(c.fd, SHUT_RDWR);
    connections.splice(connections.end(), connections_);
  }
  for (Connection& c : connections) {
    if (c.thread.joinable()) c.thread.join();
    ::close(c.fd);
  }
}

void WyomingServer::reap_finished() {
  std::list<Connection> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto current = it++;
      if (current->done.load()) finished.splice(finished.end(), connections_, current);
    }
  }
  for (Connection& c : finished) {
    if (c.thread.joinable()) c.thread.join();
    ::close(c.fd);
  }
}

void WyomingServer::accept_loop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 200);
    reap_finished();
    if (ready <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_.load()) break;
      continue;
    }
    if (active_.load() >= limits_.max_connections) {
      const std::string busy = serialize_wyoming_event(
          {"error", {{"text", "too many connections"}, {"code", "busy"}}, {}});
      write_all(fd, busy);
      ::close(fd);
      continue;
    }
    timeval timeout{limits_.idle_timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::lock_guard lock(mutex_);
    Connection& c = connections_.emplace_back();
    c.fd = fd;
    active_.fetch_add(1);
    c.thread = std::thread([this, &c] {
      serve(c);
      ::shutdown(c.fd, SHUT_RDWR);  // the peer sees the end now, not when the thread is reaped
      active_.fetch_sub(1);
      c.done.store(true);
    });
  }
}

void WyomingServer::serve(Connection& connection) {
  const int fd = connection.fd;
  WyomingSession session(services_, limits_, [fd](const WyomingEvent& event) {
    return write_all(fd, serialize_wyoming_event(event));
  });
  WyomingParser parser(limits_);
  std::vector<char> buffer(64 * 1024);
  while (!stopping_.load()) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // closed, error or idle timeout
    parser.feed(std::string_view(buffer.data(), static_cast<size_t>(n)));
    for (;;) {
      WyomingParser::Result r = parser.next();
      if (r.status == WyomingParser::Status::kNeedMore) break;
      if (r.status == WyomingParser::Status::kError) {
        session.report_error(r.error, r.fatal ? "bad-stream" : "bad-event");
        if (r.fatal) return;
        continue;
      }
      bool keep_open = false;
      try {
        keep_open = session.handle(r.event);
      } catch (const std::exception& e) {
        keep_open = session.report_error(e.what(), "internal");
      }
      if (!keep_open) return;
    }
  }
}

}  // namespace parley::assistant::server
