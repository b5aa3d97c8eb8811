// Audio routes: request validation (no socket), audio decoding/encoding, transcription with the
// tiny transducer fixture, a /v1/converse turn with a scripted reply, and the routes in process
// (HttpServer on an ephemeral port + httplib::Client).
#include "assistant/server/audio_routes.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "asr/recognizer.h"
#include "asr/transducer_model.h"
#include "assistant/server/api_error.h"
#include "assistant/server/audio_codec.h"
#include "assistant/server/audio_converse.h"
#include "assistant/server/audio_transcriber.h"
#include "assistant/server/event_bus.h"
#include "assistant/server/http_server.h"
#include "assistant/server/server_context.h"
#include "assistant/server/sse.h"
#include "audio/opus_codec.h"
#include "tts/voice_factory.h"

namespace parley::assistant::server {
namespace {

using json = nlohmann::json;

std::string lstm_tiny_dir() {
  return std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny";
}

// Two sentences of espeak-ng speech with one second of silence between them, at 22050 Hz.
audio::SoundBuffer two_utterances() {
  auto voice = tts::open_voice("espeak:en-us");
  std::vector<float> samples = tts::synthesize_to_vector(*voice, "Turn on the kitchen light.");
  samples.insert(samples.end(), static_cast<size_t>(voice->sample_rate_hz()), 0.0f);
  const std::vector<float> second = tts::synthesize_to_vector(*voice, "What time is it?");
  samples.insert(samples.end(), second.begin(), second.end());
  samples.insert(samples.end(), static_cast<size_t>(voice->sample_rate_hz() / 2), 0.0f);
  return {samples, voice->sample_rate_hz(), 1};
}

httplib::MultipartFormData part(std::string name, std::string content, std::string filename = {}) {
  return {std::move(name), std::move(content), std::move(filename), ""};
}

httplib::Request multipart_request(const std::vector<httplib::MultipartFormData>& parts) {
  httplib::Request request;
  request.headers.emplace("Content-Type", "multipart/form-data; boundary=x");
  for (const auto& p : parts) request.files.emplace(p.name, p);
  return request;
}

template <typename F>
ApiError expect_api_error(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError thrown";
  return ApiError(0, "none");
}

// ---- request parsing ------------------------------------------------------------------------

TEST(AudioRequests, TranscriptionFields) {
  const auto request = multipart_request(
      {part("file", "RIFF....", "a.wav"), part("model", "whisper-1"),
       part("response_format", "verbose_json"), part("language", "de"),
       part("timestamp_granularities[]", "word"), part("timestamp_granularities[]", "segment")});
  const TranscriptionRequest parsed = parse_transcription_request(request, 1000);
  EXPECT_EQ(parsed.audio, "RIFF....");
  EXPECT_EQ(parsed.filename, "a.wav");
  EXPECT_EQ(parsed.model, "whisper-1");
  EXPECT_EQ(parsed.format, TranscriptFormat::kVerboseJson);
  EXPECT_EQ(parsed.language, "de");
  EXPECT_TRUE(parsed.granularity.words);
  EXPECT_TRUE(parsed.granularity.segments);
  // Defaults.
  const TranscriptionRequest plain =
      parse_transcription_request(multipart_request({part("file", "x")}), 10);
  EXPECT_EQ(plain.format, TranscriptFormat::kJson);
  EXPECT_EQ(plain.language, "en");
  EXPECT_FALSE(plain.granularity.words);
}

TEST(AudioRequests, TranscriptionErrors) {
  ApiError e = expect_api_error(
      [] { parse_transcription_request(multipart_request({part("model", "m")}), 10); });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.param(), "file");
  EXPECT_EQ(e.code(), "missing_field");

  e = expect_api_error([] { parse_transcription_request(httplib::Request{}, 10); });
  EXPECT_EQ(e.status(), 400);

  e = expect_api_error([] {
    parse_transcription_request(
        multipart_request({part("file", "x"), part("response_format", "mp3")}), 10);
  });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.param(), "response_format");
  EXPECT_NE(std::string(e.what()).find("mp3"), std::string::npos);

  e = expect_api_error([] {
    parse_transcription_request(multipart_request({part("file", std::string(11, 'a'))}), 10);
  });
  EXPECT_EQ(e.status(), 413);

  e = expect_api_error([] {
    parse_transcription_request(
        multipart_request({part("file", "x"), part("timestamp_granularities[]", "char")}), 10);
  });
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.param(), "timestamp_granularities");
}

TEST(AudioRequests, VoiceNames) {
  EXPECT_EQ(resolve_voice("alloy", "espeak:en-us"), "espeak:en-us");
  EXPECT_EQ(resolve_voice("default", "/v/en_US-lessac-medium.onnx"), "/v/en_US-lessac-medium.onnx");
  EXPECT_EQ(resolve_voice("en_US-lessac-medium", "/v/en_US-lessac-medium.onnx"),
            "/v/en_US-lessac-medium.onnx");
  EXPECT_EQ(resolve_voice("espeak:de+f3", ""), "espeak:de+f3");
  EXPECT_FALSE(resolve_voice("espeak:../../etc/passwd", "espeak:en-us"));
  EXPECT_FALSE(resolve_voice("espeak:", "espeak:en-us"));
  EXPECT_FALSE(resolve_voice("/other/voice.onnx", "espeak:en-us"));  // no arbitrary paths
  EXPECT_FALSE(resolve_voice("alloy", ""));                          // nothing configured
  EXPECT_FALSE(resolve_voice("klingon", "espeak:en-us"));
}

TEST(AudioRequests, SpeechFields) {
  const SpeechRequest r = parse_speech_request(
      R"({"model":"tts-1","input":"Hi there","voice":"nova","response_format":"flac","speed":4})",
      "espeak:en-us");
  EXPECT_EQ(r.model, "tts-1");
  EXPECT_EQ(r.input, "Hi there");
  EXPECT_EQ(r.voice_spec, "espeak:en-us");
  EXPECT_EQ(r.format, SpeechFormat::kFlac);
  EXPECT_DOUBLE_EQ(r.speed, 4.0);
  const SpeechRequest defaults = parse_speech_request(R"({"input":"x"})", "espeak:en-us");
  EXPECT_EQ(defaults.format, SpeechFormat::kWav);
  EXPECT_DOUBLE_EQ(defaults.speed, 1.0);
}

TEST(AudioRequests, SpeechErrors) {
  struct Case {
    const char* body;
    const char* param;
  };
  const std::vector<Case> cases = {
      {R"({"input":"   ","voice":"alloy"})", "input"},
      {R"({"voice":"alloy"})", "input"},
      {R"({"input":5})", "input"},
      {R"({"input":"hi","voice":"klingon"})", "voice"},
      {R"({"input":"hi","response_format":"mp3"})", "response_format"},
      {R"({"input":"hi","speed":0.2})", "speed"},
      {R"({"input":"hi","speed":4.01})", "speed"},
      {R"({"input":"hi","speed":"fast"})", "speed"},
      {R"({"input":"hi","model":7})", "model"},
  };
  for (const Case& c : cases) {
    const ApiError e = expect_api_error([&] { parse_speech_request(c.body, "espeak:en-us"); });
    EXPECT_EQ(e.status(), 400) << c.body;
    EXPECT_EQ(e.param(), c.param) << c.body;
  }
  const ApiError bad_json =
      expect_api_error([] { parse_speech_request("{input:", "espeak:en-us"); });
  EXPECT_EQ(bad_json.status(), 400);
  const ApiError too_long = expect_api_error([] {
    parse_speech_request(json{{"input", std::string(4097, 'a')}}.dump(), "espeak:en-us");
  });
  EXPECT_EQ(too_long.status(), 400);
}

TEST(AudioRequests, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

// ---- audio codec ----------------------------------------------------------------------------

TEST(AudioCodec, WavBytesDecodeBackExactly) {
  std::vector<float> samples(1000);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = std::sin(0.05f * i) * 0.5f;
  const std::string wav = wav_bytes(samples, 16000);
  ASSERT_EQ(wav.size(), 44 + 2000u);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  const audio::SoundBuffer back = decode_audio_bytes(wav, "a.wav");
  EXPECT_EQ(back.sample_rate_hz, 16000);
  ASSERT_EQ(back.samples.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) EXPECT_NEAR(back.samples[i], samples[i], 1.0 / 32000);
}

TEST(AudioCodec, StreamingWavHeaderIsReadable) {
  std::vector<float> samples(2205, 0.25f);
  const std::string header = wav_stream_header(22050, 1);
  ASSERT_EQ(header.size(), 44u);
  EXPECT_EQ(header.substr(4, 4), std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(header.substr(40, 4), std::string("\xff\xff\xff\xff", 4));
  const audio::SoundBuffer back = decode_audio_bytes(header + pcm16_bytes(samples), "s.wav");
  EXPECT_EQ(back.sample_rate_hz, 22050);
  EXPECT_EQ(back.samples.size(), samples.size());
}

TEST(AudioCodec, FlacAndOpusRoundTrip) {
  std::vector<float> samples(16000);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = 0.3f * std::sin(0.1f * i);
  const std::string flac = encode_flac_bytes(samples, 16000);
  EXPECT_EQ(flac.substr(0, 4), "fLaC");
  const audio::SoundBuffer from_flac = decode_audio_bytes(flac, "a.flac");
  EXPECT_EQ(from_flac.samples.size(), samples.size());
  const std::string opus = encode_opus_bytes(samples, 16000);
  EXPECT_TRUE(looks_like_ogg_opus(opus));
  const audio::SoundBuffer from_opus = decode_audio_bytes(opus, "a.opus");
  EXPECT_EQ(from_opus.sample_rate_hz, 16000);
  EXPECT_NEAR(static_cast<double>(from_opus.samples.size()), 16000.0, 400.0);
}

TEST(AudioCodec, BadUploadsNameTheUploadNotTheTempFile) {
  for (const std::string& bytes : {std::string("this is not audio at all, just text"),
                                   std::string("RIFF\x10\0\0\0WAVEfmt ", 16)}) {
    try {
      decode_audio_bytes(bytes, "clip.wav");
      ADD_FAILURE() << "decoded garbage";
    } catch (const AudioDecodeError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("clip.wav", 0), 0u) << message;
      EXPECT_EQ(message.find("parley-audio"), std::string::npos) << message;
    }
  }
  EXPECT_THROW(decode_audio_bytes("", "empty.wav"), AudioDecodeError);
  // A damaged Ogg Opus stream (valid start, garbage after).
  std::string opus = encode_opus_bytes(std::vector<float>(16000, 0.1f), 16000);
  for (size_t i = 200; i < opus.size(); i += 7) opus[i] = static_cast<char>(opus[i] ^ 0x5a);
  EXPECT_THROW(decode_audio_bytes(opus, "broken.opus"), AudioDecodeError);
  // Too long for the limit.
  EXPECT_THROW(decode_audio_bytes(wav_bytes(std::vector<float>(16000), 16000), "long.wav",
                                  {.max_seconds = 0.5}),
               AudioDecodeError);
}

TEST(AudioCodec, Pcm16ToMonoMixesChannels) {
  // Frames: (16384, -16384) and (32767, 32767) little-endian.
  const std::string bytes("\x00\x40\x00\xc0\xff\x7f\xff\x7f", 8);
  const std::vector<float> mono = pcm16_to_mono(bytes, 2);
  ASSERT_EQ(mono.size(), 2u);
  EXPECT_FLOAT_EQ(mono[0], 0.0f);
  EXPECT_NEAR(mono[1], 32767.0 / 32768.0, 1e-6);
  EXPECT_THROW(pcm16_to_mono("abc", 1), Error);
  EXPECT_THROW(pcm16_to_mono("abcd", 0), Error);
}

// ---- transcription --------------------------------------------------------------------------

class TinyAsr : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    recognizer_ = new asr::Recognizer(asr::TransducerModel::load(lstm_tiny_dir()));
  }
  static void TearDownTestSuite() {
    delete recognizer_;
    recognizer_ = nullptr;
  }
  static asr::Recognizer* recognizer_;
};
asr::Recognizer* TinyAsr::recognizer_ = nullptr;

TEST_F(TinyAsr, SegmentsFollowTheSpeechInFileTime) {
  const audio::SoundBuffer sound = two_utterances();
  const Transcript t = transcribe_sound(*recognizer_, sound, nullptr);
  EXPECT_NEAR(t.duration_seconds, sound.duration_seconds(), 1e-9);
  // Random weights: the words are noise, but there are some, every segment lies inside the
  // audio, in order, and its words inside it.
  // Two sentences with a second of silence between them: two segments, split in the silence.
  const double first_seconds =
      static_cast<double>(
          tts::synthesize_to_vector(*tts::open_voice("espeak:en-us"), "Turn on the kitchen light.")
              .size()) /
      sound.sample_rate_hz;
  ASSERT_EQ(t.segments.size(), 2u);
  EXPECT_LT(t.segments[0].start_seconds, 0.5);
  EXPECT_LT(t.segments[0].end_seconds, first_seconds + 0.8);
  EXPECT_GT(t.segments[1].start_seconds, first_seconds + 0.2);
  double previous_end = 0;
  for (const TranscriptSegment& s : t.segments) {
    EXPECT_FALSE(s.text.empty());
    EXPECT_GE(s.start_seconds, previous_end - 1e-6);
    EXPECT_LE(s.start_seconds, s.end_seconds);
    EXPECT_LE(s.end_seconds, t.duration_seconds + 1e-6);
    for (const TranscriptWord& w : s.words) {
      EXPECT_GE(w.start_seconds, s.start_seconds - 0.25);
      EXPECT_LE(w.end_seconds, s.end_seconds + 1e-6);
    }
    previous_end = s.end_seconds;
  }
  // The same audio in one piece without the VAD has the same total duration.
  TranscribeOptions endpoints_only;
  endpoints_only.use_vad = false;
  const Transcript whole = transcribe_sound(*recognizer_, sound, nullptr, endpoints_only);
  EXPECT_NEAR(whole.duration_seconds, t.duration_seconds, 1e-9);
}

TEST(Zipformer2Asr, TranscribesIntoTimedSegments) {
  const std::filesystem::path dir =
      std::filesystem::path(PARLEY_SHARED_TESTDATA) / "asr/zipformer2_small_random";
  if (!std::filesystem::exists(dir / "encoder.onnx")) GTEST_SKIP() << dir << " is absent";
  const asr::Recognizer recognizer(asr::TransducerModel::load(dir.string()));
  const audio::SoundBuffer sound = two_utterances();
  const Transcript t = transcribe_sound(recognizer, sound, nullptr);
  // Random weights: whatever it decodes lies inside the two speech regions, in order.
  ASSERT_LE(t.segments.size(), 2u);
  double previous_end = 0;
  for (const TranscriptSegment& s : t.segments) {
    EXPECT_GE(s.start_seconds, previous_end);
    EXPECT_LE(s.end_seconds, sound.duration_seconds() + 1e-6);
    EXPECT_FALSE(s.token_ids.empty());
    previous_end = s.end_seconds;
  }
  const auto srt = format_transcript(t, TranscriptFormat::kSrt, {});
  EXPECT_EQ(std::count(srt.begin(), srt.end(), '\n'), 4 * static_cast<long>(t.segments.size()));
}

TEST_F(TinyAsr, SilenceHasNoSegments) {
  const audio::SoundBuffer silence{std::vector<float>(32000, 0.0f), 16000, 1};
  const Transcript t = transcribe_sound(*recognizer_, silence, nullptr);
  EXPECT_TRUE(t.segments.empty());
  EXPECT_EQ(format_transcript(t, TranscriptFormat::kJson, {}), R"({"text":""})");
}

TEST_F(TinyAsr, ConverseTurnStreamsTranscriptTokensAudioAndDone) {
  auto voice = tts::open_voice("espeak:en-us");
  std::vector<std::string> heard;
  ConverseEngines engines;
  engines.recognizer = recognizer_;
  engines.voice = voice.get();
  engines.reply = [&](const std::string& user, const PieceSink& on_piece) {
    heard.push_back(user);
    const std::vector<std::string> pieces = {"It is", " seven", " o'clock.", " Anything", " else?"};
    std::string all;
    for (const auto& p : pieces) {
      all += p;
      if (!on_piece(p)) break;
    }
    return all;
  };
  EventBus bus;
  auto subscription = bus.subscribe();
  engines.events = &bus;
  engines.request_id = "turn-1";
  std::vector<SseEvent> events;
  SseParser parser;
  ASSERT_TRUE(run_converse_turn(engines, two_utterances(), [&](const std::string& frame) {
    for (auto& e : parser.feed(frame)) events.push_back(e);
    return true;
  }));
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().event, "transcript");
  EXPECT_EQ(events.back().event, "done");
  const json transcript = json::parse(events.front().data);
  const json done = json::parse(events.back().data);
  EXPECT_EQ(done["transcript"], transcript["text"]);
  ASSERT_FALSE(transcript["text"].get<std::string>().empty());  // the fixture decodes something
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0], transcript["text"]);
  std::string tokens;
  int audio_events = 0;
  for (const SseEvent& e : events) {
    if (e.event == "token") tokens += json::parse(e.data)["text"].get<std::string>();
    if (e.event == "audio") {
      const json a = json::parse(e.data);
      EXPECT_EQ(a["index"], audio_events);
      EXPECT_EQ(a["format"], "wav");
      EXPECT_EQ(a["audio"].get<std::string>().substr(0, 4), "UklG");  // base64 of "RIFF"
      ++audio_events;
    }
  }
  EXPECT_EQ(tokens, "It is seven o'clock. Anything else?");
  EXPECT_EQ(done["reply"], tokens);
  EXPECT_GE(audio_events, 2);  // at least two clauses spoken separately
  EXPECT_GT(done["audio_seconds"].get<double>(), 0.5);
  // The kiosk's event bus saw the turn: final, the tokens, what was spoken, and the turn.
  std::vector<std::string> types;
  while (auto e = subscription->next(std::chrono::milliseconds(0))) {
    EXPECT_EQ(e->data["request_id"], "turn-1");
    types.push_back(e->type);
  }
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "final");
  EXPECT_EQ(types.back(), "turn");
  EXPECT_EQ(std::count(types.begin(), types.end(), "token"), 5);
  EXPECT_EQ(std::count(types.begin(), types.end(), "speaking"), audio_events);
}

TEST_F(TinyAsr, ConverseTurnStopsWhenTheClientLeaves) {
  auto voice = tts::open_voice("espeak:en-us");
  int pieces_asked = 0;
  bool cancelled = false;
  ConverseEngines engines;
  engines.recognizer = recognizer_;
  engines.voice = voice.get();
  engines.cancel_reply = [&] { cancelled = true; };
  engines.reply = [&](const std::string&, const PieceSink& on_piece) {
    for (int i = 0; i < 100 && on_piece(" word"); ++i) ++pieces_asked;
    return std::string();
  };
  int frames = 0;
  const bool completed = run_converse_turn(engines, two_utterances(), [&](const std::string&) {
    return ++frames < 2;  // the transcript goes out, then the client is gone
  });
  EXPECT_FALSE(completed);
  EXPECT_LE(frames, 2);
  EXPECT_LE(pieces_asked, 1);
  EXPECT_TRUE(cancelled);  // the reply generator was told to stop
}

// ---- in process: HttpServer + httplib::Client --------------------------------------------------

class AudioHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.max_body_bytes = 4u << 20;
    options.model_workers = 1;
    options.threads_per_worker = 1;
    context_ = std::make_unique<ServerContext>(options, AssistantConfig{}, nullptr);
    context_->load_models({.llm = "", .asr = lstm_tiny_dir(), .voice = "espeak:en-us"});
    server_ = std::make_unique<HttpServer>(*context_);
    port_ = server_->bind();
    server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(60, 0);
  }
  void TearDown() override {
    client_.reset();
    server_->stop();
  }

  httplib::Result transcribe(const std::string& audio,
                             const std::vector<httplib::MultipartFormData>& extra) {
    httplib::MultipartFormDataItems items = {{"file", audio, "speech.wav", "audio/wav"}};
    items.insert(items.end(), extra.begin(), extra.end());
    return client_->Post("/v1/audio/transcriptions", items);
  }

  static json error_of(const httplib::Result& r) {
    const json body = json::parse(r->body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error")) << r->body;
    return body.is_object() && body.contains("error") ? body["error"] : json::object();
  }

  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

TEST_F(AudioHttp, TranscriptionFormats) {
  const audio::SoundBuffer sound = two_utterances();
  const std::string wav = wav_bytes(sound.samples, sound.sample_rate_hz);
  auto r = transcribe(wav, {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  ASSERT_TRUE(j.contains("text"));

  r = transcribe(
      wav, {part("response_format", "verbose_json"), part("timestamp_granularities[]", "word"),
            part("timestamp_granularities[]", "segment")});
  ASSERT_EQ(r->status, 200) << r->body;
  const json v = json::parse(r->body);
  EXPECT_EQ(v["task"], "transcribe");
  EXPECT_NEAR(v["duration"].get<double>(), sound.duration_seconds(), 0.001);
  EXPECT_TRUE(v["segments"].is_array());
  EXPECT_TRUE(v["words"].is_array());
  EXPECT_EQ(v["text"], j["text"]);

  r = transcribe(wav, {part("response_format", "vtt")});
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body.rfind("WEBVTT\n\n", 0), 0u);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/vtt"), std::string::npos);

  r = transcribe(wav, {part("response_format", "srt")});
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body.empty(), v["segments"].empty());
  if (!r->body.empty()) {
    EXPECT_EQ(r->body.rfind("1\n00:00:", 0), 0u) << r->body;
  }

  // Ogg Opus and FLAC uploads give the same duration.
  r = transcribe(encode_opus_bytes(sound.samples, sound.sample_rate_hz),
                 {part("response_format", "verbose_json")});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NEAR(json::parse(r->body)["duration"].get<double>(), sound.duration_seconds(), 0.05);
  r = transcribe(encode_flac_bytes(sound.samples, sound.sample_rate_hz),
                 {part("response_format", "verbose_json")});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NEAR(json::parse(r->body)["duration"].get<double>(), sound.duration_seconds(), 0.001);
}

TEST_F(AudioHttp, TranscriptionErrors) {
  auto r = client_->Post("/v1/audio/transcriptions",
                         httplib::MultipartFormDataItems{{"model", "whisper-1", "", ""}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_of(r)["param"], "file");
  EXPECT_EQ(error_of(r)["type"], "invalid_request_error");

  r = transcribe("definitely not audio", {});
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(error_of(r)["message"].get<std::string>().find("speech.wav"), std::string::npos);

  r = transcribe(wav_bytes(std::vector<float>(1600), 16000), {part("response_format", "docx")});
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(error_of(r)["param"], "response_format");

  r = transcribe(wav_bytes(std::vector<float>(1600), 16000), {part("model", "no-such-model")});
  EXPECT_EQ(r->status, 404);

  // Over the body limit (4 MiB here).
  r = transcribe(std::string(5u << 20, 'a'), {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);

  // The server still serves.
  r = transcribe(wav_bytes(std::vector<float>(1600), 16000), {});
  EXPECT_EQ(r->status, 200);
}

TEST_F(AudioHttp, SpeechStreamsWavAndPcmAndEncodesFlacAndOpus) {
  const json request = {
      {"model", "tts-1"}, {"input", "Hello there. This is Parley."}, {"voice", "alloy"}};
  auto r = client_->Post("/v1/audio/speech", request.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r->get_header_value("Content-Type"), "audio/wav");
  const audio::SoundBuffer wav = decode_audio_bytes(r->body, "speech.wav");
  EXPECT_EQ(wav.sample_rate_hz, 22050);
  EXPECT_GT(wav.duration_seconds(), 1.0);

  json pcm_request = request;
  pcm_request["response_format"] = "pcm";
  r = client_->Post("/v1/audio/speech", pcm_request.dump(), "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size() % 2, 0u);
  // The same audio without the header (espeak-ng varies by a few samples from run to run).
  EXPECT_NEAR(static_cast<double>(r->body.size()) / 2, static_cast<double>(wav.samples.size()), 50);
  EXPECT_EQ(r->get_header_value("X-Sample-Rate"), "22050");

  json fast = request;
  fast["speed"] = 2.0;
  r = client_->Post("/v1/audio/speech", fast.dump(), "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_LT(decode_audio_bytes(r->body, "fast.wav").duration_seconds(),
            wav.duration_seconds() * 0.8);

  for (const char* format : {"flac", "opus"}) {
    json encoded = request;
    encoded["response_format"] = format;
    r = client_->Post("/v1/audio/speech", encoded.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << format;
    EXPECT_FALSE(r->get_header_value("Content-Length").empty()) << format;
    const audio::SoundBuffer back = decode_audio_bytes(r->body, format);
    EXPECT_NEAR(back.duration_seconds(), wav.duration_seconds(), 0.05) << format;
  }
}

TEST_F(AudioHttp, ClientLeavingMidStreamLeavesTheServerServing) {
  // A long synthesis read for a moment, then the socket closes under the stream.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "This sentence makes the reply long enough to be cut. ";
  const std::string body = json{{"input", text}}.dump();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string request =
      "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  char buffer[4096];
  const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
  ASSERT_GT(got, 0);
  EXPECT_EQ(std::string(buffer, 12), "HTTP/1.1 200");
  ::close(fd);
  // The worker comes back: the next requests are served.
  for (int i = 0; i < 2; ++i) {
    auto r = client_->Post("/v1/audio/speech", R"({"input":"Still here."})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(AudioHttp, ConcurrentRequestsShareOneWorker) {
  const std::string wav = wav_bytes(two_utterances().samples, 22050);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", port_);
      client.set_read_timeout(60, 0);
      auto r =
          i % 2 == 0
              ? client.Post("/v1/audio/transcriptions",
                            httplib::MultipartFormDataItems{{"file", wav, "a.wav", "audio/wav"}})
              : client.Post("/v1/audio/speech", R"({"input":"One at a time."})",
                            "application/json");
      if (r && r->status == 200) ok.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);  // the queue (capacity 8) holds the ones waiting for the worker
}

TEST_F(AudioHttp, RealOpenAiClient) {
  if (std::system("command -v node > /dev/null 2>&1") != 0) GTEST_SKIP() << "node not found";
  if (!std::filesystem::exists(std::string(PARLEY_REFS_DIR) + "/openai/package.json")) {
    GTEST_SKIP() << "the openai package is not in " << PARLEY_REFS_DIR
                 << " (run scripts/reference_tools.sh)";
  }
  const std::string command = "PARLEY_TEST_PORT=" + std::to_string(port_) + " PARLEY_REFS_DIR='" +
                              PARLEY_REFS_DIR + "' node '" + PARLEY_SOURCE_DIR +
                              "/tests/server/openai_audio_client_test.mjs' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (const size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) GTEST_SKIP() << output;
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("openai audio client: ok"), std::string::npos) << output;
  std::printf("%s", output.c_str());
}

TEST_F(AudioHttp, SpeechErrors) {
  for (const char* body :
       {R"({"input":""})", R"({"input":"hi","voice":"klingon"})",
        R"({"input":"hi","response_format":"aac"})", R"({"input":"hi","speed":9})",
        R"({"input":"hi","voice":"espeak:no-such-voice"})", "not json"}) {
    auto r = client_->Post("/v1/audio/speech", body, "application/json");
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->status, 400) << body << " " << r->body;
    EXPECT_TRUE(error_of(r).contains("message")) << body;
  }
}

TEST_F(AudioHttp, ConverseStreamsServerSentEvents) {
  const audio::SoundBuffer sound = two_utterances();
  auto r =
      client_->Post("/v1/converse", wav_bytes(sound.samples, sound.sample_rate_hz), "audio/wav");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  SseParser parser;
  const std::vector<SseEvent> events = parser.feed(r->body);
  ASSERT_GE(events.size(), 2u) << r->body;
  EXPECT_EQ(events.front().event, "transcript");
  EXPECT_EQ(events.back().event, "done");
  const json done = json::parse(events.back().data);
  const json transcript = json::parse(events.front().data);
  ASSERT_FALSE(transcript["text"].get<std::string>().empty());
  // No chat model loaded: the configured fallback message is the reply, and it is spoken.
  EXPECT_EQ(done["reply"], AssistantConfig{}.remote_llm.fallback_message);
  bool spoken = false;
  for (const SseEvent& e : events) spoken = spoken || e.event == "audio";
  EXPECT_TRUE(spoken);

  // The same audio as a multipart upload.
  r = client_->Post("/v1/converse", httplib::MultipartFormDataItems{
                                        {"file", wav_bytes(sound.samples, sound.sample_rate_hz),
                                         "q.wav", "audio/wav"}});
  ASSERT_EQ(r->status, 200);
  const std::vector<SseEvent> again = SseParser().feed(r->body);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.back().event, "done");
  EXPECT_EQ(json::parse(again.front().data)["text"], transcript["text"]);

  r = client_->Post("/v1/converse", "garbage bytes", "audio/wav");
  EXPECT_EQ(r->status, 400);
  r = client_->Post("/v1/converse", "{}", "application/json");
  EXPECT_EQ(r->status, 415);
}

}  // namespace
}  // namespace parley::assistant::server
