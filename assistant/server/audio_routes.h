// Audio routes of `parley serve`: OpenAI's /v1/audio/transcriptions and /v1/audio/speech, and
// Parley's /v1/converse (audio in → transcript, reply text and reply audio out, one stream).
//
// POST /v1/audio/transcriptions   multipart/form-data
//   file (required)               any audio libsndfile reads (WAV, FLAC, Ogg Vorbis, AIFF, ...)
//                                 or Ogg Opus; any rate (resampled to 16 kHz), stereo mixed down
//   model                         optional; must be the loaded ASR model's id, "whisper-1" or
//                                 "parley" (clients that insist on a model name)
//   response_format               json (default) | text | verbose_json | srt | vtt
//   language                      optional; echoed in verbose_json (default "en")
//   timestamp_granularities[]     "segment" and/or "word" (verbose_json)
//   The audio is cut into utterances by an energy VAD (audio_transcriber.h); each utterance is
//   one segment with start/end times. Errors (OpenAI error objects, api_error.h):
//   400 missing file / unknown response_format / unknown granularity / audio that cannot be
//   decoded (the message says why), 404 unknown model, 413 file larger than max_body_bytes,
//   503 no ASR model loaded, 429/503 queue full / busy.
//
// POST /v1/audio/speech           JSON {model, input, voice, response_format, speed}
//   input      1..4096 characters (shaped for speech: markdown, numbers, URLs, tts/text_shaping.h)
//   voice      "default" or any OpenAI voice name (alloy, echo, ... — all mean the configured
//              voice), the configured voice's spec or file stem, or "espeak:<name>" for any
//              espeak-ng voice; anything else is 400 (unknown_voice)
//   response_format  wav (default) | pcm | flac | opus (aac/mp3 are 400)
//   speed      0.25..4 (default 1): espeak-ng words per minute 175 x speed (clamped to 80..450),
//              Piper length scale / speed
//   Streaming: wav and pcm are sent with chunked transfer as the voice produces audio — wav
//   starts with a header whose sizes are 0xFFFFFFFF (unknown length), pcm is raw 16-bit little-
//   endian mono at the voice's rate (X-Sample-Rate header says which). flac and opus (Ogg Opus,
//   32 kb/s) are encoded whole after synthesis and sent with a Content-Length.
//
// POST /v1/converse               multipart (field "file") or a raw audio body (any Content-Type
//                                 but JSON/form); optional query ?voice=NAME
//   Answers one server-sent-events stream (text/event-stream), events in this order:
//     event: transcript  {"text", "segments":[{start,end,text}], "duration"}
//     event: token       {"text"}                       — each reply piece as the LLM writes it
//     event: audio       {"index","text","format":"wav","sample_rate","audio": base64 WAV}
//                                                       — one complete WAV per spoken clause
//     event: done        {"transcript","reply","audio_seconds","timing_ms":{asr,first_token,
//                         first_audio,total}}
//     event: error       {"error": {message,type,param,code}} — instead of done, on failure
//   Without an LLM loaded the reply is the configuration's llm.fallback_message. Silence (no
//   speech found) ends with done and an empty transcript and reply. Turn events (final, token,
//   speaking, turn) are published to the event bus for GET /events.
//
// Every route takes a WorkQueue lease for its model work (429/503 with Retry-After when none).
// Handlers are thin: the parse_* functions below hold the request validation and are tested
// without a socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "assistant/server/transcript_formats.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace parley::assistant::server {

struct ServerContext;

void register_audio_routes(httplib::Server& server, ServerContext& context);

// ---- request parsing (throws ApiError, api_error.h) ------------------------------------------

struct TranscriptionRequest {
  std::string audio;     // the uploaded file's bytes
  std::string filename;  // as uploaded ("" when the client gave none)
  std::string model;
  TranscriptFormat format = TranscriptFormat::kJson;
  std::string language = "en";
  TranscriptGranularity granularity;
};

// `max_file_bytes`: larger files are 413.
TranscriptionRequest parse_transcription_request(const httplib::Request& request,
                                                 size_t max_file_bytes);

enum class SpeechFormat { kWav, kPcm, kFlac, kOpus };

std::optional<SpeechFormat> parse_speech_format(std::string_view name);
std::string_view speech_content_type(SpeechFormat format);

struct SpeechRequest {
  std::string model;
  std::string input;
  std::string voice_spec;  // resolved: "espeak:<name>" or a Piper .onnx path
  SpeechFormat format = SpeechFormat::kWav;
  double speed = 1.0;
};

// The voice names a request may use, given the configured voice spec ("" = none configured).
// Returns the spec to open, or nullopt for an unknown name.
std::optional<std::string> resolve_voice(std::string_view name, std::string_view configured_spec);

SpeechRequest parse_speech_request(std::string_view json_body, std::string_view configured_spec);

std::string base64_encode(std::string_view bytes);

}  // namespace parley::assistant::server
