#include "assistant/server/transcript_formats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace parley::assistant::server {
namespace {

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t begin = 0, end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

// Rounded to whole milliseconds, never negative.
int64_t to_milliseconds(double seconds) {
  if (!(seconds > 0)) return 0;  // also NaN
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

std::string format_clock(double seconds, char millis_separator) {
  const int64_t total_ms = to_milliseconds(seconds);
  const int64_t hours = total_ms / 3'600'000;
  const int64_t minutes = total_ms / 60'000 % 60;
  const int64_t secs = total_ms / 1000 % 60;
  const int64_t millis = total_ms % 1000;
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%02lld:%02lld:%02lld%c%03lld",
                static_cast<long long>(hours), static_cast<long long>(minutes),
                static_cast<long long>(secs), millis_separator, static_cast<long long>(millis));
  return buffer;
}

// Cue text must not hold a blank line (it would end the cue): collapse line breaks.
std::string cue_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : trim(text)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return out;
}

// 3 decimals: what a client shows, and stable in tests.
double round_ms(double seconds) {
  return static_cast<double>(to_milliseconds(seconds)) / 1000.0;
}

nlohmann::json verbose_json(const Transcript& t, const TranscriptGranularity& granularity) {
  nlohmann::json j = {{"task", "transcribe"},
                      {"language", t.language},
                      {"duration", round_ms(t.duration_seconds)},
                      {"text", t.text()}};
  const bool want_segments = granularity.segments || !granularity.words;
  if (want_segments) {
    nlohmann::json segments = nlohmann::json::array();
    int id = 0;
    for (const TranscriptSegment& s : t.segments) {
      std::string text = trim(s.text);
      if (text.empty()) continue;
      segments.push_back({{"id", id++},
                          {"seek", 0},
                          {"start", round_ms(s.start_seconds)},
                          {"end", round_ms(s.end_seconds)},
                          {"text", std::move(text)},
                          {"tokens", s.token_ids},
                          {"temperature", 0.0},
                          {"avg_logprob", 0.0},
                          {"compression_ratio", 0.0},
                          {"no_speech_prob", 0.0}});
    }
    j["segments"] = std::move(segments);
  }
  if (granularity.words) {
    nlohmann::json words = nlohmann::json::array();
    for (const TranscriptSegment& s : t.segments) {
      for (const TranscriptWord& w : s.words) {
        std::string word = trim(w.word);
        if (word.empty()) continue;
        words.push_back({{"word", std::move(word)},
                         {"start", round_ms(w.start_seconds)},
                         {"end", round_ms(w.end_seconds)}});
      }
    }
    j["words"] = std::move(words);
  }
  return j;
}

// Invalid UTF-8 (a token that is half a character) becomes U+FFFD instead of an exception.
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string cues(const Transcript& t, bool vtt) {
  std::string out = vtt ? "WEBVTT\n\n" : "";
  int number = 1;
  for (const TranscriptSegment& s : t.segments) {
    const std::string text = cue_text(s.text);
    if (text.empty()) continue;
    const double end = std::max(s.end_seconds, s.start_seconds);
    if (!vtt) out += std::to_string(number) + "\n";
    ++number;
    out += vtt ? format_vtt_time(s.start_seconds) + " --> " + format_vtt_time(end)
               : format_srt_time(s.start_seconds) + " --> " + format_srt_time(end);
    out += "\n" + text + "\n\n";
  }
  return out;
}

}  // namespace

std::string Transcript::text() const {
  std::string out;
  for (const TranscriptSegment& s : segments) {
    const std::string piece = trim(s.text);
    if (piece.empty()) continue;
    if (!out.empty()) out += ' ';
    out += piece;
  }
  return out;
}

std::optional<TranscriptFormat> parse_transcript_format(std::string_view name) {
  if (name == "json") return TranscriptFormat::kJson;
  if (name == "text") return TranscriptFormat::kText;
  if (name == "verbose_json") return TranscriptFormat::kVerboseJson;
  if (name == "srt") return TranscriptFormat::kSrt;
  if (name == "vtt") return TranscriptFormat::kVtt;
  return std::nullopt;
}

std::string_view transcript_format_name(TranscriptFormat format) {
  switch (format) {
    case TranscriptFormat::kJson:
      return "json";
    case TranscriptFormat::kText:
      return "text";
    case TranscriptFormat::kVerboseJson:
      return "verbose_json";
    case TranscriptFormat::kSrt:
      return "srt";
    case TranscriptFormat::kVtt:
      return "vtt";
  }
  return "json";
}

std::string_view transcript_content_type(TranscriptFormat format) {
  switch (format) {
    case TranscriptFormat::kJson:
    case TranscriptFormat::kVerboseJson:
      return "application/json";
    case TranscriptFormat::kVtt:
      return "text/vtt; charset=utf-8";
    case TranscriptFormat::kText:
    case TranscriptFormat::kSrt:
      return "text/plain; charset=utf-8";
  }
  return "application/json";
}

std::string format_transcript(const Transcript& transcript, TranscriptFormat format,
                              const TranscriptGranularity& granularity) {
  switch (format) {
    case TranscriptFormat::kJson:
      return dump(nlohmann::json{{"text", transcript.text()}});
    case TranscriptFormat::kText:
      return transcript.text() + "\n";
    case TranscriptFormat::kVerboseJson:
      return dump(verbose_json(transcript, granularity));
    case TranscriptFormat::kSrt:
      return cues(transcript, /*vtt=*/false);
    case TranscriptFormat::kVtt:
      return cues(transcript, /*vtt=*/true);
  }
  return {};
}

std::string format_srt_time(double seconds) {
  return format_clock(seconds, ',');
}
std::string format_vtt_time(double seconds) {
  return format_clock(seconds, '.');
}

}  // namespace parley::assistant::server
