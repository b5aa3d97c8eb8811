// Transcript formats against hand-written expected bodies (OpenAI's json / text / verbose_json,
// SubRip and WebVTT as their specifications write them).
#include "assistant/server/transcript_formats.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace parley::assistant::server {
namespace {

Transcript two_segments() {
  Transcript t;
  t.language = "en";
  t.duration_seconds = 65.4321;
  TranscriptSegment a;
  a.start_seconds = 0.4;
  a.end_seconds = 1.9;
  a.text = " hello there";
  a.token_ids = {5, 6};
  a.words = {{"hello", 0.4, 0.8}, {"there", 0.84, 1.2}};
  TranscriptSegment silent;  // empty text: skipped everywhere
  silent.start_seconds = 2;
  silent.end_seconds = 3;
  TranscriptSegment b;
  b.start_seconds = 61.0005;
  b.end_seconds = 3725.25;
  b.text = "general\nkenobi ";
  b.words = {{"general", 61.0, 61.5}, {"kenobi", 61.6, 62.0}};
  t.segments = {a, silent, b};
  return t;
}

TEST(TranscriptFormats, ParsesTheFiveNamesAndNothingElse) {
  for (const char* name : {"json", "text", "verbose_json", "srt", "vtt"}) {
    const auto format = parse_transcript_format(name);
    ASSERT_TRUE(format.has_value()) << name;
    EXPECT_EQ(transcript_format_name(*format), name);
  }
  EXPECT_FALSE(parse_transcript_format("JSON"));
  EXPECT_FALSE(parse_transcript_format("mp3"));
  EXPECT_FALSE(parse_transcript_format(""));
  EXPECT_EQ(transcript_content_type(TranscriptFormat::kVtt), "text/vtt; charset=utf-8");
  EXPECT_EQ(transcript_content_type(TranscriptFormat::kVerboseJson), "application/json");
}

TEST(TranscriptFormats, TimestampsRoundAndCarry) {
  EXPECT_EQ(format_srt_time(0), "00:00:00,000");
  EXPECT_EQ(format_srt_time(1.2346), "00:00:01,235");  // nearest millisecond
  EXPECT_EQ(format_srt_time(1.2344), "00:00:01,234");
  EXPECT_EQ(format_srt_time(59.9996), "00:01:00,000");  // carries into minutes
  EXPECT_EQ(format_srt_time(3725.25), "01:02:05,250");
  EXPECT_EQ(format_vtt_time(3725.25), "01:02:05.250");
  EXPECT_EQ(format_vtt_time(-3), "00:00:00.000");
  EXPECT_EQ(format_srt_time(360000), "100:00:00,000");  // hours are not wrapped
}

TEST(TranscriptFormats, JsonAndText) {
  const Transcript t = two_segments();
  EXPECT_EQ(t.text(), "hello there general\nkenobi");
  EXPECT_EQ(format_transcript(t, TranscriptFormat::kJson, {}),
            R"({"text":"hello there general\nkenobi"})");
  EXPECT_EQ(format_transcript(t, TranscriptFormat::kText, {}), "hello there general\nkenobi\n");
  EXPECT_EQ(format_transcript(Transcript{}, TranscriptFormat::kJson, {}), R"({"text":""})");
  // Half a UTF-8 character (a byte-level token) is replaced, not thrown.
  Transcript broken;
  broken.segments.push_back(
      {.start_seconds = 0, .end_seconds = 1, .text = "caf\xc3", .token_ids = {}, .words = {}});
  EXPECT_EQ(format_transcript(broken, TranscriptFormat::kJson, {}),
            "{\"text\":\"caf\xef\xbf\xbd\"}");
}

TEST(TranscriptFormats, Srt) {
  EXPECT_EQ(format_transcript(two_segments(), TranscriptFormat::kSrt, {}),
            "1\n00:00:00,400 --> 00:00:01,900\nhello there\n\n"
            "2\n00:01:01,001 --> 01:02:05,250\ngeneral kenobi\n\n");
  EXPECT_EQ(format_transcript(Transcript{}, TranscriptFormat::kSrt, {}), "");
}

TEST(TranscriptFormats, Vtt) {
  EXPECT_EQ(format_transcript(two_segments(), TranscriptFormat::kVtt, {}),
            "WEBVTT\n\n"
            "00:00:00.400 --> 00:00:01.900\nhello there\n\n"
            "00:01:01.001 --> 01:02:05.250\ngeneral kenobi\n\n");
  EXPECT_EQ(format_transcript(Transcript{}, TranscriptFormat::kVtt, {}), "WEBVTT\n\n");
}

TEST(TranscriptFormats, VerboseJsonSegmentsByDefault) {
  const auto j =
      nlohmann::json::parse(format_transcript(two_segments(), TranscriptFormat::kVerboseJson, {}));
  EXPECT_EQ(j["task"], "transcribe");
  EXPECT_EQ(j["language"], "en");
  EXPECT_DOUBLE_EQ(j["duration"].get<double>(), 65.432);
  EXPECT_EQ(j["text"], "hello there general\nkenobi");
  ASSERT_EQ(j["segments"].size(), 2u);
  EXPECT_EQ(j["segments"][0]["id"], 0);
  EXPECT_EQ(j["segments"][1]["id"], 1);  // ids stay consecutive after the skipped segment
  EXPECT_DOUBLE_EQ(j["segments"][0]["start"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(j["segments"][0]["end"].get<double>(), 1.9);
  EXPECT_EQ(j["segments"][0]["text"], "hello there");
  EXPECT_EQ(j["segments"][0]["tokens"], nlohmann::json::array({5, 6}));
  EXPECT_TRUE(j["segments"][0].contains("avg_logprob"));
  EXPECT_FALSE(j.contains("words"));
}

TEST(TranscriptFormats, VerboseJsonWordsOnlyWhenAsked) {
  const auto words_only = nlohmann::json::parse(format_transcript(
      two_segments(), TranscriptFormat::kVerboseJson, {.segments = false, .words = true}));
  EXPECT_FALSE(words_only.contains("segments"));
  ASSERT_EQ(words_only["words"].size(), 4u);
  EXPECT_EQ(words_only["words"][2]["word"], "general");
  EXPECT_DOUBLE_EQ(words_only["words"][3]["start"].get<double>(), 61.6);
  EXPECT_DOUBLE_EQ(words_only["words"][3]["end"].get<double>(), 62.0);

  const auto both = nlohmann::json::parse(format_transcript(
      two_segments(), TranscriptFormat::kVerboseJson, {.segments = true, .words = true}));
  EXPECT_EQ(both["segments"].size(), 2u);
  EXPECT_EQ(both["words"].size(), 4u);
}

}  // namespace
}  // namespace parley::assistant::server
