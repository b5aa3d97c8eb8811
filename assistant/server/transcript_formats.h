// Transcript formats of the OpenAI transcription API — a recognition made of utterance segments
// (each with its words and their times) rendered as `json`, `text`, `verbose_json`, `srt` or
// `vtt`. Pure functions: no engines, no sockets.
//
// Formats
//   json          {"text": "..."}
//   text          the text and a newline, as text/plain
//   verbose_json  {"task":"transcribe","language","duration","text","segments":[{id,seek,start,
//                 end,text,tokens,temperature,avg_logprob,compression_ratio,no_speech_prob}],
//                 "words":[{word,start,end}]} — `segments` when segment granularity is asked for
//                 (or no granularity at all: OpenAI's default), `words` only when word
//                 granularity is. Times in seconds. Fields this recognizer has no notion of
//                 (avg_logprob, ...) are 0.
//   srt           cues numbered from 1, "HH:MM:SS,mmm --> HH:MM:SS,mmm", the text, a blank line.
//   vtt           "WEBVTT", a blank line, then "HH:MM:SS.mmm --> HH:MM:SS.mmm" cues.
// Segments with empty text are skipped in every format (no empty cues); segment text is trimmed.
//
// Usage
//   Transcript t = {.language = "en", .duration_seconds = 3.2,
//                   .segments = {{.start_seconds = 0.4, .end_seconds = 1.9, .text = "hello"}}};
//   std::string body = format_transcript(t, TranscriptFormat::kSrt, {});
//   // "1\n00:00:00,400 --> 00:00:01,900\nhello\n\n"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::assistant::server {

struct TranscriptWord {
  std::string word;
  double start_seconds = 0;
  double end_seconds = 0;
};

struct TranscriptSegment {
  double start_seconds = 0;
  double end_seconds = 0;
  std::string text;
  std::vector<int64_t> token_ids;
  std::vector<TranscriptWord> words;
};

struct Transcript {
  std::string language = "en";
  double duration_seconds = 0;  // of the whole audio
  std::vector<TranscriptSegment> segments;

  // The segments' texts, trimmed, joined by one space.
  std::string text() const;
};

enum class TranscriptFormat { kJson, kText, kVerboseJson, kSrt, kVtt };

struct TranscriptGranularity {
  bool segments = false;
  bool words = false;
};

// "json", "text", "verbose_json", "srt", "vtt"; nullopt for anything else.
std::optional<TranscriptFormat> parse_transcript_format(std::string_view name);
std::string_view transcript_format_name(TranscriptFormat format);
// "application/json", "text/plain; charset=utf-8" or "text/vtt; charset=utf-8".
std::string_view transcript_content_type(TranscriptFormat format);

// The response body (see the header comment).
std::string format_transcript(const Transcript& transcript, TranscriptFormat format,
                              const TranscriptGranularity& granularity);

// "HH:MM:SS,mmm" (srt) and "HH:MM:SS.mmm" (vtt); negative times clamp to 0, milliseconds are
// rounded to nearest.
std::string format_srt_time(double seconds);
std::string format_vtt_time(double seconds);

}  // namespace parley::assistant::server
