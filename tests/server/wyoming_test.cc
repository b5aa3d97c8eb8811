// Wyoming protocol: the event parser (whole, split, merged data, malformed and oversized input),
// the session logic without sockets, and round trips over TCP with a small test client for
// describe, transcribe and synthesize.
#include "assistant/server/wyoming.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "asr/recognizer.h"
#include "asr/transducer_model.h"
#include "assistant/server/audio_codec.h"
#include "kernels/error.h"
#include "tts/voice.h"
#include "tts/voice_factory.h"

namespace parley::assistant::server {
namespace {

using json = nlohmann::json;
using Status = WyomingParser::Status;

std::string lstm_tiny_dir() {
  return std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny";
}

// ---- parser --------------------------------------------------------------------------------

TEST(WyomingParser, ReadsHeaderDataAndPayload) {
  WyomingParser parser;
  parser.feed(
      "{\"type\":\"audio-chunk\",\"data\":{\"rate\":8000,\"width\":1},\"data_length\":24,"
      "\"payload_length\":4}\n{\"width\":2,\"channels\":1}\x01\x02\x03\x04");
  WyomingParser::Result r = parser.next();
  ASSERT_EQ(r.status, Status::kEvent) << r.error;
  EXPECT_EQ(r.event.type, "audio-chunk");
  EXPECT_EQ(r.event.data["rate"], 8000);
  EXPECT_EQ(r.event.data["width"], 2);  // the data section is merged over the header's data
  EXPECT_EQ(r.event.data["channels"], 1);
  EXPECT_EQ(r.event.payload, std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(parser.next().status, Status::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(WyomingParser, AnySplitGivesTheSameEvents) {
  std::string stream;
  stream += serialize_wyoming_event({"describe", json::object(), {}});
  stream += serialize_wyoming_event({"synthesize", {{"text", "hi\nthere ✓"}}, {}});
  stream += serialize_wyoming_event({"audio-chunk", {{"rate", 16000}}, std::string(300, '\0')});
  for (size_t step : {1u, 2u, 7u, 64u, 1000u}) {
    WyomingParser parser;
    std::vector<WyomingEvent> events;
    for (size_t at = 0; at < stream.size(); at += step) {
      parser.feed(std::string_view(stream).substr(at, step));
      for (auto r = parser.next(); r.status != Status::kNeedMore; r = parser.next()) {
        ASSERT_EQ(r.status, Status::kEvent) << r.error;
        events.push_back(r.event);
      }
    }
    ASSERT_EQ(events.size(), 3u) << "step " << step;
    EXPECT_EQ(events[0].type, "describe");
    EXPECT_EQ(events[1].data["text"], "hi\nthere ✓");
    EXPECT_EQ(events[2].payload.size(), 300u);
    EXPECT_EQ(events[2].data["rate"], 16000);
  }
}

TEST(WyomingParser, SerializedEventsFollowTheReferenceLayout) {
  const std::string bytes = serialize_wyoming_event({"transcript", {{"text", "ok"}}, "PAY"});
  const size_t newline = bytes.find('\n');
  const json header = json::parse(bytes.substr(0, newline));
  EXPECT_EQ(header["type"], "transcript");
  EXPECT_TRUE(header.contains("version"));
  const std::string data = R"({"text":"ok"})";
  EXPECT_EQ(header["data_length"], data.size());
  EXPECT_EQ(header["payload_length"], 3);
  EXPECT_EQ(bytes.substr(newline + 1), data + "PAY");
  // No data, no payload: neither length is written.
  const json bare = json::parse(serialize_wyoming_event({"describe", json::object(), {}}));
  EXPECT_FALSE(bare.contains("data_length"));
  EXPECT_FALSE(bare.contains("payload_length"));
}

TEST(WyomingParser, MalformedHeaderIsSkippedAndTheStreamContinues) {
  WyomingParser parser;
  parser.feed("this is not json\n\n[1,2]\n{\"data\":{}}\n{\"type\":\"describe\"}\n");
  auto r = parser.next();
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_FALSE(r.fatal);
  r = parser.next();  // the blank line is skipped, then an array
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_FALSE(r.fatal);
  r = parser.next();  // no type
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_NE(r.error.find("type"), std::string::npos);
  r = parser.next();
  ASSERT_EQ(r.status, Status::kEvent);
  EXPECT_EQ(r.event.type, "describe");
}

TEST(WyomingParser, BadDataSectionSkipsItsBytes) {
  WyomingParser parser;
  parser.feed("{\"type\":\"synthesize\",\"data_length\":5,\"payload_length\":2}\n[1,2]XY");
  parser.feed(serialize_wyoming_event({"describe", json::object(), {}}));
  auto r = parser.next();
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_FALSE(r.fatal);
  r = parser.next();
  ASSERT_EQ(r.status, Status::kEvent);
  EXPECT_EQ(r.event.type, "describe");
}

TEST(WyomingParser, OversizedOrInvalidLengthsAreFatal) {
  const WyomingLimits limits{
      .max_header_bytes = 100, .max_data_bytes = 50, .max_payload_bytes = 1000};
  struct Case {
    std::string bytes;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {std::string(101, 'x'), "header longer"},  // no newline yet, too long
      {"{\"type\":\"a\",\"pad\":\"" + std::string(120, 'y') + "\"}\n", "header longer"},
      {"{\"type\":\"a\",\"payload_length\":1001}\n", "payload_length 1001"},
      {"{\"type\":\"a\",\"data_length\":51}\n", "data_length 51"},
      {"{\"type\":\"a\",\"payload_length\":-1}\n", "non-negative"},
      {"{\"type\":\"a\",\"payload_length\":\"12\"}\n", "non-negative"},
      {"{\"type\":\"a\",\"data_length\":1.5}\n", "non-negative"},
  };
  for (const Case& c : cases) {
    WyomingParser parser(limits);
    parser.feed(c.bytes);
    const auto r = parser.next();
    ASSERT_EQ(r.status, Status::kError) << c.bytes;
    EXPECT_TRUE(r.fatal) << c.bytes;
    EXPECT_NE(r.error.find(c.expect), std::string::npos) << r.error;
    parser.feed(serialize_wyoming_event({"describe", json::object(), {}}));
    EXPECT_EQ(parser.next().status, Status::kError);  // a failed stream stays failed
  }
}

TEST(WyomingParser, WaitsForTheWholePayload) {
  WyomingParser parser;
  parser.feed("{\"type\":\"audio-chunk\",\"payload_length\":10}\n12345");
  EXPECT_EQ(parser.next().status, Status::kNeedMore);
  parser.feed("67890");
  const auto r = parser.next();
  ASSERT_EQ(r.status, Status::kEvent);
  EXPECT_EQ(r.event.payload, "1234567890");
}

// ---- session without sockets -----------------------------------------------------------------

struct Recorder {
  std::vector<WyomingEvent> events;
  WyomingSession::Send send() {
    return [this](const WyomingEvent& e) {
      events.push_back(e);
      return true;
    };
  }
};

TEST(WyomingSession, DescribeListsAsrTtsAndTheWakePhrase) {
  WyomingServices services;
  services.voice_spec = "espeak:en-us";
  services.recognizer =
      std::make_shared<const asr::Recognizer>(asr::TransducerModel::load(lstm_tiny_dir()));
  services.asr_model_id = "lstm_tiny";
  Recorder out;
  WyomingSession session(services, {}, out.send());
  ASSERT_TRUE(session.handle({"describe", json::object(), {}}));
  ASSERT_EQ(out.events.size(), 1u);
  const WyomingEvent& info = out.events[0];
  EXPECT_EQ(info.type, "info");
  ASSERT_EQ(info.data["asr"].size(), 1u);
  EXPECT_EQ(info.data["asr"][0]["models"][0]["name"], "lstm_tiny");
  EXPECT_EQ(info.data["asr"][0]["models"][0]["languages"][0], "en");
  EXPECT_TRUE(info.data["asr"][0]["installed"].get<bool>());
  EXPECT_TRUE(info.data["asr"][0]["attribution"].contains("url"));
  ASSERT_EQ(info.data["tts"].size(), 1u);
  EXPECT_EQ(info.data["tts"][0]["voices"][0]["name"], "espeak:en-us");
  // The wake phrase, spotted by the recognizer, is the wake program's one model.
  ASSERT_EQ(info.data["wake"].size(), 1u);
  EXPECT_EQ(info.data["wake"][0]["name"], "parley-wake");
  EXPECT_EQ(info.data["wake"][0]["models"][0]["name"], "hey parley");
  EXPECT_EQ(info.data["wake"][0]["models"][0]["phrase"], "hey parley");
  // No recognizer, no wake program.
  WyomingServices tts_only;
  tts_only.voice_spec = "espeak:en-us";
  Recorder out2;
  WyomingSession tts_session(tts_only, {}, out2.send());
  ASSERT_TRUE(tts_session.handle({"describe", json::object(), {}}));
  EXPECT_TRUE(out2.events.at(0).data["wake"].empty());
}

TEST(WyomingSession, BadAudioFormatsAreReported) {
  WyomingServices services;
  Recorder out;
  WyomingSession session(services, {}, out.send());
  ASSERT_TRUE(session.handle({"transcribe", json::object(), {}}));
  ASSERT_TRUE(
      session.handle({"audio-start", {{"rate", 16000}, {"width", 4}, {"channels", 1}}, {}}));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].type, "error");
  EXPECT_EQ(out.events[0].data["code"], "bad-audio");
  EXPECT_NE(out.events[0].data["text"].get<std::string>().find("width"), std::string::npos);
  ASSERT_TRUE(
      session.handle({"audio-start", {{"rate", "fast"}, {"width", 2}, {"channels", 1}}, {}}));
  EXPECT_EQ(out.events.back().type, "error");
  // An odd number of bytes is not 16-bit PCM.
  ASSERT_TRUE(
      session.handle({"audio-start", {{"rate", 16000}, {"width", 2}, {"channels", 1}}, {}}));
  const size_t before = out.events.size();
  ASSERT_TRUE(
      session.handle({"audio-chunk", {{"rate", 16000}, {"width", 2}, {"channels", 1}}, "abc"}));
  ASSERT_EQ(out.events.size(), before + 1);
  EXPECT_EQ(out.events.back().data["code"], "bad-audio");
}

TEST(WyomingSession, AudioBeyondTheLimitClosesTheConnection) {
  WyomingServices services;
  Recorder out;
  WyomingSession session(services, {.max_audio_seconds = 0.5}, out.send());
  ASSERT_TRUE(session.handle({"transcribe", json::object(), {}}));
  ASSERT_TRUE(
      session.handle({"audio-start", {{"rate", 16000}, {"width", 2}, {"channels", 1}}, {}}));
  const std::string quarter_second(16000 / 4 * 2, '\0');
  const json format = {{"rate", 16000}, {"width", 2}, {"channels", 1}};
  EXPECT_TRUE(session.handle({"audio-chunk", format, quarter_second}));
  EXPECT_TRUE(session.handle({"audio-chunk", format, quarter_second}));
  EXPECT_FALSE(session.handle({"audio-chunk", format, quarter_second}));
  EXPECT_EQ(out.events.back().data["code"], "audio-too-long");
}

TEST(WyomingSession, DetectWithoutAWakeEngineEndsNotDetected) {
  WyomingServices services;
  Recorder out;
  WyomingSession session(services, {}, out.send());
  const json format = {{"rate", 16000}, {"width", 2}, {"channels", 1}};
  ASSERT_TRUE(session.handle({"detect", {{"names", {"ok_parley"}}}, {}}));
  ASSERT_TRUE(session.handle({"audio-start", format, {}}));
  ASSERT_TRUE(session.handle({"audio-chunk", format, std::string(640, '\0')}));
  ASSERT_TRUE(session.handle({"audio-stop", json::object(), {}}));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].type, "not-detected");
  ASSERT_TRUE(session.handle({"ping", {{"text", "x"}}, {}}));
  EXPECT_EQ(out.events.back().type, "pong");
  EXPECT_EQ(out.events.back().data["text"], "x");
  ASSERT_TRUE(session.handle({"something-new", json::object(), {}}));  // ignored
  EXPECT_EQ(out.events.size(), 2u);
}

// Wake detection on the shipped default recognizer (models/asr) with speech espeak-ng makes at
// test time: the phrase is heard in the stream as it arrives (a detection before audio-stop,
// its timestamp inside the audio), a request without it ends not-detected, and `names` without
// our phrase detect nothing.
TEST(WyomingSession, DetectHearsTheWakePhraseInStreamedAudio) {
  const std::filesystem::path model_dir = std::filesystem::path(PARLEY_SOURCE_DIR) / "models" / "asr";
  if (!std::filesystem::exists(model_dir / "encoder.onnx"))
    GTEST_SKIP() << model_dir << " holds no model (models/recipes/asr makes it)";
  std::unique_ptr<tts::Voice> voice;
  try {
    voice = tts::open_voice("espeak:en-us", {.output_rate_hz = 16000});
  } catch (const std::exception& e) {
    GTEST_SKIP() << "espeak-ng voice unavailable: " << e.what();
  }
  auto speech = [&](const std::string& text) {
    std::vector<float> samples(8000, 0.0f);  // 0.5 s of silence first
    voice->synthesize(text, [&](std::span<const float> pcm) {
      samples.insert(samples.end(), pcm.begin(), pcm.end());
      return true;
    });
    samples.resize(samples.size() + 16000, 0.0f);  // and 1 s after
    return samples;
  };
  WyomingServices services;
  services.recognizer = std::make_shared<const asr::Recognizer>(asr::TransducerModel::load(model_dir.string()));
  const json format = {{"rate", 16000}, {"width", 2}, {"channels", 1}};
  // Streams `samples` in 100 ms chunks; returns the events and how many chunks had been sent
  // when the first event came back.
  auto stream = [&](const json& detect, const std::vector<float>& samples, size_t* chunks_before_event) {
    Recorder out;
    WyomingSession session(services, {}, out.send());
    EXPECT_TRUE(session.handle({"detect", detect, {}}));
    EXPECT_TRUE(session.handle({"audio-start", format, {}}));
    size_t chunks = 0;
    for (size_t at = 0; at < samples.size(); at += 1600) {
      const size_t n = std::min<size_t>(1600, samples.size() - at);
      EXPECT_TRUE(session.handle({"audio-chunk", format, pcm16_bytes(std::span(samples).subspan(at, n))}));
      ++chunks;
      if (out.events.empty() && chunks_before_event != nullptr) *chunks_before_event = chunks;
    }
    EXPECT_TRUE(session.handle({"audio-stop", json::object(), {}}));
    return out.events;
  };
  const std::vector<float> wake = speech("hey parley, what time is it");
  size_t chunks_before = 0;
  std::vector<WyomingEvent> events = stream(json::object(), wake, &chunks_before);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "detection");
  EXPECT_EQ(events[0].data["name"], "hey parley");
  const int64_t timestamp = events[0].data["timestamp"];
  EXPECT_GT(timestamp, 500);  // after the leading silence
  EXPECT_LE(timestamp, static_cast<int64_t>(wake.size() / 16));
  EXPECT_LT(chunks_before, (wake.size() + 1599) / 1600);  // heard before the audio ended
  events = stream({{"names", {"Hey, Parley!"}}}, wake, nullptr);  // the phrase named as words
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "detection");
  events = stream(json::object(), speech("what time is it"), nullptr);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "not-detected");
  events = stream({{"names", {"ok_nabu"}}}, wake, nullptr);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "not-detected");
}

// ---- over TCP ----------------------------------------------------------------------------------

class TestClient {
 public:
  explicit TestClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    timeval timeout{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~TestClient() { ::close(fd_); }
  bool connected() const { return connected_; }

  bool send_raw(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  bool send(const WyomingEvent& event) { return send_raw(serialize_wyoming_event(event)); }

  // The next event, or nullopt when the server closed the connection (or 20 s passed).
  std::optional<WyomingEvent> read() {
    for (;;) {
      auto r = parser_.next();
      if (r.status == Status::kEvent) return r.event;
      if (r.status == Status::kError) return std::nullopt;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return std::nullopt;
      parser_.feed(std::string_view(buffer, static_cast<size_t>(n)));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  WyomingParser parser_;
};

class WyomingServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services_.recognizer =
        std::make_shared<const asr::Recognizer>(asr::TransducerModel::load(lstm_tiny_dir()));
    services_.asr_model_id = "lstm_tiny";
    services_.voice_spec = "espeak:en-us";
    server_ = std::make_unique<WyomingServer>(services_, WyomingLimits{.max_header_bytes = 4096});
    port_ = server_->start("127.0.0.1", 0);
    ASSERT_GT(port_, 0);
  }
  WyomingServices services_;
  std::unique_ptr<WyomingServer> server_;
  int port_ = 0;
};

TEST_F(WyomingServerTest, DescribeRoundTrip) {
  TestClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send({"describe", json::object(), {}}));
  auto info = client.read();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->type, "info");
  EXPECT_EQ(info->data["asr"][0]["models"][0]["name"], "lstm_tiny");
}

TEST_F(WyomingServerTest, SynthesizeThenTranscribeRoundTrip) {
  TestClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(
      {"synthesize", {{"text", "Hello from Parley."}, {"voice", {{"name", "espeak:en-us"}}}}, {}}));
  auto start = client.read();
  ASSERT_TRUE(start.has_value());
  ASSERT_EQ(start->type, "audio-start");
  const int rate = start->data["rate"];
  EXPECT_EQ(rate, 22050);  // espeak-ng's native rate
  EXPECT_EQ(start->data["width"], 2);
  EXPECT_EQ(start->data["channels"], 1);
  std::string pcm;
  int chunks = 0;
  for (;;) {
    auto event = client.read();
    ASSERT_TRUE(event.has_value());
    if (event->type == "audio-stop") break;
    ASSERT_EQ(event->type, "audio-chunk");
    EXPECT_EQ(event->data["rate"], rate);
    pcm += event->payload;
    ++chunks;
  }
  EXPECT_GT(chunks, 1);  // streamed in pieces, not one block
  ASSERT_EQ(pcm.size() % 2, 0u);
  const std::vector<float> speech = pcm16_to_mono(pcm, 1);
  const double seconds = static_cast<double>(speech.size()) / rate;
  EXPECT_GT(seconds, 0.5);
  EXPECT_LT(seconds, 5.0);
  // The same words through espeak-ng directly: the same length (the server adds nothing;
  // espeak-ng itself varies by a few samples from run to run).
  const std::vector<float> direct =
      tts::synthesize_to_vector(*tts::open_voice("espeak:en-us"), "Hello from Parley.");
  EXPECT_NEAR(static_cast<double>(speech.size()), static_cast<double>(direct.size()), 50.0);

  // Send it back for transcription, on the same connection, in 100 ms chunks.
  ASSERT_TRUE(client.send({"transcribe", {{"language", "en"}}, {}}));
  const json format = {{"rate", rate}, {"width", 2}, {"channels", 1}};
  ASSERT_TRUE(client.send({"audio-start", format, {}}));
  const size_t chunk_bytes = static_cast<size_t>(rate) / 10 * 2;
  for (size_t at = 0; at < pcm.size(); at += chunk_bytes) {
    ASSERT_TRUE(client.send({"audio-chunk", format, pcm.substr(at, chunk_bytes)}));
  }
  ASSERT_TRUE(client.send({"audio-stop", json::object(), {}}));
  auto transcript = client.read();
  ASSERT_TRUE(transcript.has_value());
  EXPECT_EQ(transcript->type, "transcript");
  ASSERT_TRUE(transcript->data.contains("text"));
  EXPECT_TRUE(transcript->data["text"].is_string());  // random-weight model: words not checked
  EXPECT_EQ(transcript->data["language"], "en");

  // The connection is still usable.
  ASSERT_TRUE(client.send({"describe", json::object(), {}}));
  auto info = client.read();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->type, "info");
}

TEST_F(WyomingServerTest, MalformedEventGetsAnErrorAndTheConnectionStaysUsable) {
  TestClient client(port_);
  ASSERT_TRUE(client.send_raw("{not json}\n"));
  auto error = client.read();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, "error");
  EXPECT_EQ(error->data["code"], "bad-event");
  ASSERT_TRUE(client.send({"synthesize", {{"text", "x"}, {"voice", {{"name", "klingon"}}}}, {}}));
  error = client.read();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->data["code"], "unknown-voice");
  ASSERT_TRUE(client.send({"describe", json::object(), {}}));
  auto info = client.read();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->type, "info");
}

TEST_F(WyomingServerTest, OversizedHeaderClosesTheConnectionAndTheServerKeepsServing) {
  {
    TestClient client(port_);
    ASSERT_TRUE(client.send_raw(std::string(5000, 'x')));
    auto error = client.read();
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->type, "error");
    EXPECT_EQ(error->data["code"], "bad-stream");
    EXPECT_FALSE(client.read().has_value());  // closed
  }
  TestClient again(port_);
  ASSERT_TRUE(again.send({"describe", json::object(), {}}));
  auto info = again.read();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->type, "info");
}

TEST(WyomingServerLimits, ConnectionsBeyondTheLimitAreTurnedAway) {
  WyomingServices services;
  services.voice_spec = "espeak:en-us";
  WyomingServer server(services, WyomingLimits{.max_connections = 1});
  const int port = server.start("127.0.0.1", 0);
  TestClient first(port);
  ASSERT_TRUE(first.send({"describe", json::object(), {}}));
  ASSERT_TRUE(first.read().has_value());  // served: the connection is counted now
  TestClient second(port);
  auto refusal = second.read();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->type, "error");
  EXPECT_EQ(refusal->data["code"], "busy");
  EXPECT_FALSE(second.read().has_value());
  ASSERT_TRUE(first.send({"ping", json::object(), {}}));
  auto pong = first.read();
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(pong->type, "pong");
}

TEST(WyomingServerLimits, BindFailureNamesTheAddress) {
  WyomingServices services;
  WyomingServer server(services);
  try {
    server.start("203.0.113.7", 0);  // TEST-NET-3: not an address of this machine
    ADD_FAILURE() << "bound to a foreign address";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("203.0.113.7"), std::string::npos) << e.what();
  }
}

TEST_F(WyomingServerTest, AudioChunksWithoutAudioStartStillTranscribe) {
  TestClient client(port_);
  const json format = {{"rate", 16000}, {"width", 2}, {"channels", 2}};
  ASSERT_TRUE(client.send({"transcribe", json::object(), {}}));
  std::vector<float> tone(16000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.3f * std::sin(0.2f * static_cast<float>(i));
  std::vector<float> stereo;
  for (float v : tone) {
    stereo.push_back(v);
    stereo.push_back(v);
  }
  ASSERT_TRUE(client.send({"audio-chunk", format, pcm16_bytes(stereo)}));
  ASSERT_TRUE(client.send({"audio-stop", json::object(), {}}));
  auto transcript = client.read();
  ASSERT_TRUE(transcript.has_value());
  EXPECT_EQ(transcript->type, "transcript");
  EXPECT_TRUE(transcript->data["text"].is_string());
}

TEST_F(WyomingServerTest, StopEndsOpenConnections) {
  TestClient client(port_);
  ASSERT_TRUE(client.send({"describe", json::object(), {}}));
  ASSERT_TRUE(client.read().has_value());
  server_->stop();
  EXPECT_FALSE(client.read().has_value());
  EXPECT_EQ(server_->active_connections(), 0);
}

}  // namespace
}  // namespace parley::assistant::server
