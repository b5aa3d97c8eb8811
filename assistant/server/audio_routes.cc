#include "assistant/server/audio_routes.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "asr/recognizer.h"
#include "assistant/server/api_error.h"
#include "assistant/server/audio_codec.h"
#include "assistant/server/audio_converse.h"
#include "assistant/server/audio_transcriber.h"
#include "assistant/server/audio_voice.h"
#include "assistant/server/server_context.h"
#include "kernels/thread_pool.h"
#include "tts/text_shaping.h"
#include "tts/voice.h"

namespace parley::assistant::server {
namespace {

using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxSpeechInputChars = 4096;

const std::vector<std::string_view> kOpenAiVoices = {
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse"};

std::string form_value(const httplib::Request& request, const std::string& name) {
  auto it = request.files.find(name);
  return it == request.files.end() ? std::string() : it->second.content;
}

bool is_known_transcription_model(std::string_view model, std::string_view loaded_id) {
  return model.empty() || model == loaded_id || model == "parley" || model == "whisper-1" ||
         model == "gpt-4o-transcribe" || model == "gpt-4o-mini-transcribe";
}

WorkQueue::Lease admit(ServerContext& context, const httplib::Request& request) {
  if (context.stopping.load()) throw admission_error(WorkQueue::Status::kClosed);
  WorkQueue::Admission admission = context.work_queue.acquire(
      std::chrono::milliseconds(context.options.queue_wait_ms), {}, request.remote_addr);
  if (!admission.lease) throw admission_error(admission.status);
  return std::move(*admission.lease);
}

void count_error(ServerContext& context, const std::string& kind) {
  context.metrics.counter("parley_errors_total", "Errors by kind", {{"kind", kind}}).inc();
}

// Runs a handler body, turning ApiError (and any other failure) into an OpenAI error object.
template <typename Body>
void guarded(ServerContext& context, httplib::Response& response, Body&& body) {
  try {
    body();
  } catch (const ApiError& e) {
    count_error(context, e.status() >= 500 ? "audio_unavailable" : "audio_bad_request");
    send_api_error(response, e, context.options.retry_after_s);
  } catch (const std::exception& e) {
    count_error(context, "audio_internal");
    context.logger->error("audio route failed: {}", e.what());
    send_api_error(response, ApiError(500, e.what(), {}, "internal_error"),
                   context.options.retry_after_s);
  }
}

// ---- /v1/audio/transcriptions -------------------------------------------------------------

void handle_transcription(ServerContext& context, const httplib::Request& request,
                          httplib::Response& response) {
  const TranscriptionRequest parsed =
      parse_transcription_request(request, context.options.max_body_bytes);
  if (!context.asr_recognizer) {
    throw ApiError(503, "no speech recognition model is loaded", "model", "model_not_loaded");
  }
  if (!is_known_transcription_model(parsed.model, context.asr_model_id)) {
    throw ApiError(404,
                   "The model '" + parsed.model + "' does not exist (this server has '" +
                       context.asr_model_id + "')",
                   "model", "model_not_found");
  }
  audio::SoundBuffer sound;
  try {
    sound = decode_audio_bytes(parsed.audio, parsed.filename.empty() ? "file" : parsed.filename);
  } catch (const AudioDecodeError& e) {
    throw ApiError(400, std::string("unsupported or corrupt audio: ") + e.what(), "file",
                   "invalid_audio");
  }
  WorkQueue::Lease lease = admit(context, request);
  const auto start = SteadyClock::now();
  const Transcript transcript = transcribe_sound(*context.asr_recognizer, sound, &lease.pool(),
                                                 {.language = parsed.language, .cancelled = {}});
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  context.metrics
      .histogram("parley_transcription_seconds", "Transcription compute time",
                 kLatencyBucketsSeconds)
      .observe(seconds);
  if (sound.duration_seconds() > 0) {
    context.metrics.gauge("parley_asr_rtf", "Real-time factor of the last transcription")
        .set(seconds / sound.duration_seconds());
  }
  response.set_content(format_transcript(transcript, parsed.format, parsed.granularity),
                       std::string(transcript_content_type(parsed.format)));
}

// ---- /v1/audio/speech ----------------------------------------------------------------------

bool is_known_speech_model(std::string_view model) {
  return model.empty() || model == "tts-1" || model == "tts-1-hd" || model == "gpt-4o-mini-tts" ||
         model == "parley";
}

void handle_speech(ServerContext& context, const httplib::Request& request,
                   httplib::Response& response) {
  const SpeechRequest parsed = parse_speech_request(request.body, context.voice_spec);
  if (!is_known_speech_model(parsed.model) && parsed.model != context.voice_spec) {
    throw ApiError(404, "The model '" + parsed.model + "' does not exist (use tts-1 or parley)",
                   "model", "model_not_found");
  }
  auto lease = std::make_shared<WorkQueue::Lease>(admit(context, request));
  std::shared_ptr<tts::Voice> voice =
      open_request_voice(parsed.voice_spec, parsed.speed, context.config.voice);
  const std::string text = tts::shape_text_for_speech(parsed.input);
  const int rate = voice->sample_rate_hz();
  response.set_header("X-Sample-Rate", std::to_string(rate));

  if (parsed.format == SpeechFormat::kFlac || parsed.format == SpeechFormat::kOpus) {
    const std::vector<float> samples = tts::synthesize_to_vector(*voice, text);
    response.set_content(parsed.format == SpeechFormat::kFlac ? encode_flac_bytes(samples, rate)
                                                              : encode_opus_bytes(samples, rate),
                         std::string(speech_content_type(parsed.format)));
    return;
  }
  const bool wav = parsed.format == SpeechFormat::kWav;
  ServerContext* ctx = &context;
  response.set_chunked_content_provider(
      std::string(speech_content_type(parsed.format)),
      [ctx, lease, voice, text, rate, wav](size_t, httplib::DataSink& sink) {
        if (wav) {
          const std::string header = wav_stream_header(rate, 1);
          if (!sink.write(header.data(), header.size())) return false;
        }
        bool ok = true;
        try {
          const auto start = SteadyClock::now();
          int64_t samples_out = 0;
          ok = voice->synthesize(text, [&](std::span<const float> samples) {
            if (ctx->stopping.load()) return false;
            const std::string bytes = pcm16_bytes(samples);
            samples_out += static_cast<int64_t>(samples.size());
            return sink.write(bytes.data(), bytes.size());
          });
          const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
          if (samples_out > 0) {
            ctx->metrics.gauge("parley_tts_rtf", "Real-time factor of the last synthesis")
                .set(seconds / (static_cast<double>(samples_out) / rate));
          }
        } catch (const std::exception& e) {
          ctx->logger->error("speech synthesis failed: {}", e.what());
          count_error(*ctx, "tts");
          ok = false;
        }
        if (!ok) return false;  // closes the connection: the client sees a truncated stream
        sink.done();
        return true;
      });
}

// ---- /v1/converse --------------------------------------------------------------------------

void handle_converse(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  std::string audio_bytes;
  std::string name = "body";
  if (request.is_multipart_form_data()) {
    auto it = request.files.find("file");
    if (it == request.files.end()) {
      throw ApiError(400, "the multipart body has no 'file' part", "file", "missing_field");
    }
    audio_bytes = it->second.content;
    if (!it->second.filename.empty()) name = it->second.filename;
  } else {
    const std::string type = request.get_header_value("Content-Type");
    if (type.find("json") != std::string::npos) {
      throw ApiError(415, "send the audio as multipart 'file' or as the raw request body", "file",
                     "unsupported_media_type");
    }
    audio_bytes = request.body;
  }
  if (audio_bytes.empty()) throw ApiError(400, "no audio in the request", "file", "missing_field");
  if (audio_bytes.size() > context.options.max_body_bytes) {
    throw ApiError(
        413,
        "the audio is larger than " + std::to_string(context.options.max_body_bytes) + " bytes",
        "file", "file_too_large");
  }
  if (!context.asr_recognizer) {
    throw ApiError(503, "no speech recognition model is loaded", "model", "model_not_loaded");
  }
  std::string voice_spec = context.voice_spec;
  if (request.has_param("voice")) {
    std::optional<std::string> resolved =
        resolve_voice(request.get_param_value("voice"), context.voice_spec);
    if (!resolved) {
      throw ApiError(400, "unknown voice '" + request.get_param_value("voice") + "'", "voice",
                     "unknown_voice");
    }
    voice_spec = *resolved;
  }
  auto sound = std::make_shared<audio::SoundBuffer>();
  try {
    *sound = decode_audio_bytes(audio_bytes, name);
  } catch (const AudioDecodeError& e) {
    throw ApiError(400, std::string("unsupported or corrupt audio: ") + e.what(), "file",
                   "invalid_audio");
  }
  auto lease = std::make_shared<WorkQueue::Lease>(admit(context, request));
  std::shared_ptr<tts::Voice> voice;
  if (!voice_spec.empty()) voice = open_request_voice(voice_spec, 1.0, context.config.voice);
  ServerContext* ctx = &context;
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream", [ctx, lease, sound, voice](size_t, httplib::DataSink& sink) {
        ConverseEngines engines;
        engines.recognizer = ctx->asr_recognizer.get();
        engines.pool = &lease->pool();
        engines.voice = voice.get();
        engines.events = &ctx->events;
        engines.request_id = ctx->next_request_id("converse");
        bool completed = false;
        try {
          engines.reply = make_server_reply(*ctx, lease->pool(), &engines.cancel_reply);
          completed = run_converse_turn(engines, *sound, [&sink, ctx](const std::string& frame) {
            return !ctx->stopping.load() && sink.write(frame.data(), frame.size());
          });
        } catch (const std::exception& e) {
          ctx->logger->error("converse failed: {}", e.what());
          count_error(*ctx, "converse");
        }
        if (!completed) return false;
        sink.done();
        return true;
      });
}

}  // namespace

// ---- parsing ----------------------------------------------------------------------------------

TranscriptionRequest parse_transcription_request(const httplib::Request& request,
                                                 size_t max_file_bytes) {
  if (!request.is_multipart_form_data()) {
    throw ApiError(400, "the request must be multipart/form-data with a 'file' part", "file",
                   "invalid_content_type");
  }
  auto file = request.files.find("file");
  if (file == request.files.end()) {
    throw ApiError(400, "the request has no 'file' part", "file", "missing_field");
  }
  if (file->second.content.empty()) {
    throw ApiError(400, "the uploaded file is empty", "file", "invalid_audio");
  }
  if (file->second.content.size() > max_file_bytes) {
    throw ApiError(413,
                   "the file is " + std::to_string(file->second.content.size()) +
                       " bytes; the limit is " + std::to_string(max_file_bytes),
                   "file", "file_too_large");
  }
  TranscriptionRequest out;
  out.audio = file->second.content;
  out.filename = file->second.filename;
  out.model = form_value(request, "model");
  const std::string format = form_value(request, "response_format");
  if (!format.empty()) {
    std::optional<TranscriptFormat> parsed = parse_transcript_format(format);
    if (!parsed) {
      throw ApiError(
          400, "response_format '" + format + "' is not one of json, text, verbose_json, srt, vtt",
          "response_format", "invalid_value");
    }
    out.format = *parsed;
  }
  const std::string language = form_value(request, "language");
  if (!language.empty()) out.language = language;
  for (const char* key : {"timestamp_granularities[]", "timestamp_granularities"}) {
    auto [first, last] = request.files.equal_range(key);
    for (auto it = first; it != last; ++it) {
      const std::string& g = it->second.content;
      if (g == "word") {
        out.granularity.words = true;
      } else if (g == "segment") {
        out.granularity.segments = true;
      } else {
        throw ApiError(400, "timestamp_granularities: '" + g + "' is neither word nor segment",
                       "timestamp_granularities", "invalid_value");
      }
    }
  }
  return out;
}

std::optional<SpeechFormat> parse_speech_format(std::string_view name) {
  if (name == "wav") return SpeechFormat::kWav;
  if (name == "pcm") return SpeechFormat::kPcm;
  if (name == "flac") return SpeechFormat::kFlac;
  if (name == "opus") return SpeechFormat::kOpus;
  return std::nullopt;
}

std::string_view speech_content_type(SpeechFormat format) {
  switch (format) {
    case SpeechFormat::kWav:
      return "audio/wav";
    case SpeechFormat::kPcm:
      return "audio/pcm";
    case SpeechFormat::kFlac:
      return "audio/flac";
    case SpeechFormat::kOpus:
      return "audio/ogg";
  }
  return "application/octet-stream";
}

std::optional<std::string> resolve_voice(std::string_view name, std::string_view configured) {
  if (name.starts_with("espeak:")) {
    const std::string_view voice = name.substr(7);
    if (voice.empty() || voice.size() > 64) return std::nullopt;
    const bool safe = std::all_of(voice.begin(), voice.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '+';
    });
    if (!safe) return std::nullopt;
    return std::string(name);
  }
  if (configured.empty()) return std::nullopt;
  if (name.empty() || name == "default" || name == configured) return std::string(configured);
  if (std::find(kOpenAiVoices.begin(), kOpenAiVoices.end(), name) != kOpenAiVoices.end()) {
    return std::string(configured);
  }
  // A Piper voice by its file stem: ".../en_US-lessac-medium.onnx" answers "en_US-lessac-medium".
  std::string_view stem = configured;
  if (const size_t slash = stem.find_last_of('/'); slash != std::string_view::npos) {
    stem = stem.substr(slash + 1);
  }
  if (stem.ends_with(".onnx")) stem.remove_suffix(5);
  if (name == stem) return std::string(configured);
  return std::nullopt;
}

SpeechRequest parse_speech_request(std::string_view json_body, std::string_view configured) {
  json body = json::parse(json_body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    throw ApiError(400, "the request body is not a JSON object", {}, "invalid_json");
  }
  SpeechRequest out;
  const auto input = body.find("input");
  if (input == body.end() || !input->is_string()) {
    throw ApiError(400, "'input' must be a string", "input", "missing_field");
  }
  out.input = input->get<std::string>();
  if (std::all_of(out.input.begin(), out.input.end(),
                  [](unsigned char c) { return std::isspace(c); })) {
    throw ApiError(400, "'input' is empty", "input", "invalid_value");
  }
  if (out.input.size() > kMaxSpeechInputChars) {
    throw ApiError(400, "'input' is longer than 4096 characters", "input", "invalid_value");
  }
  std::string voice = "default";
  if (const auto v = body.find("voice"); v != body.end() && !v->is_null()) {
    if (v->is_string()) {
      voice = v->get<std::string>();
    } else if (v->is_object() && v->contains("id") && (*v)["id"].is_string()) {
      voice = (*v)["id"].get<std::string>();  // newer clients send {"id": "..."}
    } else {
      throw ApiError(400, "'voice' must be a string", "voice", "invalid_type");
    }
  }
  std::optional<std::string> spec = resolve_voice(voice, configured);
  if (!spec) {
    throw ApiError(
        400, "unknown voice '" + voice + "' (use default, an OpenAI voice name, or espeak:<voice>)",
        "voice", "unknown_voice");
  }
  out.voice_spec = *spec;
  if (const auto f = body.find("response_format"); f != body.end() && !f->is_null()) {
    const std::string name = f->is_string() ? f->get<std::string>() : f->dump();
    std::optional<SpeechFormat> format = parse_speech_format(name);
    if (!format) {
      throw ApiError(400, "response_format '" + name + "' is not one of wav, pcm, flac, opus",
                     "response_format", "invalid_value");
    }
    out.format = *format;
  }
  if (const auto s = body.find("speed"); s != body.end() && !s->is_null()) {
    if (!s->is_number()) throw ApiError(400, "'speed' must be a number", "speed", "invalid_type");
    out.speed = s->get<double>();
    if (!(out.speed >= 0.25 && out.speed <= 4.0)) {
      throw ApiError(400, "'speed' must be between 0.25 and 4", "speed", "invalid_value");
    }
  }
  if (const auto m = body.find("model"); m != body.end() && !m->is_null()) {
    if (!m->is_string()) throw ApiError(400, "'model' must be a string", "model", "invalid_type");
    out.model = m->get<std::string>();
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void register_audio_routes(httplib::Server& server, ServerContext& context) {
  server.Post("/v1/audio/transcriptions", [&context](const httplib::Request& request,
                                                     httplib::Response& response) {
    guarded(context, response, [&] { handle_transcription(context, request, response); });
  });
  server.Post("/v1/audio/speech",
              [&context](const httplib::Request& request, httplib::Response& response) {
                guarded(context, response, [&] { handle_speech(context, request, response); });
              });
  server.Post("/v1/converse",
              [&context](const httplib::Request& request, httplib::Response& response) {
                guarded(context, response, [&] { handle_converse(context, request, response); });
              });
}

}  // namespace parley::assistant::server
