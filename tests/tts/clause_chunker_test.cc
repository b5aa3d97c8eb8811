// ClauseChunker: hand-written chunk tables, and the same chunks for every way the text is split
// into pieces (every byte position, byte by byte, random token sizes).
#include "tts/clause_chunker.h"

#include <gtest/gtest.h>

#include <random>

namespace parley::tts {
namespace {

std::vector<std::string> chunk_pieces(const std::vector<std::string_view>& pieces,
                                      ClauseChunkerOptions options = {}) {
  ClauseChunker chunker(options);
  std::vector<std::string> chunks;
  for (std::string_view piece : pieces) chunker.push(piece, chunks);
  chunker.finish(chunks);
  return chunks;
}

std::vector<std::string> chunk_whole(std::string_view text) {
  return chunk_pieces({text});
}

struct Case {
  const char* text;
  std::vector<std::string> chunks;
};

class ClauseChunkerTable : public ::testing::TestWithParam<Case> {};

TEST_P(ClauseChunkerTable, GivesExpectedChunks) {
  EXPECT_EQ(chunk_whole(GetParam().text), GetParam().chunks) << GetParam().text;
}

// clang-format off
const Case kCases[] = {
    // First chunk at the first clause boundary after three words; later chunks at sentence ends.
    {"Sure, I can help with that. The timer is set for ten minutes, starting now. Anything else?",
     {"Sure, I can help with that.", "The timer is set for ten minutes, starting now.", "Anything else?"}},
    {"Okay, the kitchen lights are on, and the oven is warming up. Done.",
     {"Okay, the kitchen lights are on,", "and the oven is warming up.", "Done."}},
    // A short sentence may be the first chunk on its own.
    {"Yes. It is raining.", {"Yes.", "It is raining."}},
    {"Hi! How are you?", {"Hi!", "How are you?"}},
    // Numbers, abbreviations, initials and URLs do not split.
    {"It costs 3.5 dollars today. Thanks.", {"It costs 3.5 dollars today.", "Thanks."}},
    {"We sold 1,000 units in total. Great.", {"We sold 1,000 units in total.", "Great."}},
    {"Bring fruit, e.g. apples or pears. Also bread.", {"Bring fruit, e.g. apples or pears.", "Also bread."}},
    {"Call Dr. Smith at noon. He is in.", {"Call Dr. Smith at noon.", "He is in."}},
    {"Books by J. K. Rowling sell well. Really.", {"Books by J. K. Rowling sell well.", "Really."}},
    {"See example.com/docs/a.html for more. Bye.", {"See example.com/docs/a.html for more.", "Bye."}},
    {"Is https://x.org/a?b=1 up? Yes.", {"Is https://x.org/a?b=1 up?", "Yes."}},
    // Closing quotes and markdown after the punctuation stay with the chunk.
    {"He said \"go now.\" Then he left.", {"He said \"go now.\"", "Then he left."}},
    {"**Done.** Next step.", {"**Done.**", "Next step."}},
    // Ellipsis ends a sentence.
    {"Well... I am not sure.", {"Well...", "I am not sure."}},
    // Line breaks end chunks (lists, headings); a code fence is one chunk.
    {"Steps:\n- mix it\n- bake it", {"Steps:", "- mix it", "- bake it"}},
    {"Run this:\n```\nx = 1. y = 2\n\nprint(x, y)\n```\nDone.", {"Run this:", "```\nx = 1. y = 2\n\nprint(x, y)\n```", "Done."}},
    // Hard cap of the first chunk when no boundary comes.
    {"the quick brown fox jumps over the lazy dog and keeps on running far away",
     {"the quick brown fox jumps over the lazy", "dog and keeps on running far away"}},
    // Later chunks only cut at clauses when long.
    {"First one. Then a clause, and another clause, and a third one.",
     {"First one.", "Then a clause, and another clause, and a third one."}},
    // No final punctuation: flushed at the end. Empty input: nothing.
    {"no punctuation at all", {"no punctuation at all"}},
    {"", {}},
    {"   \n\n  ", {}},
    // UTF-8 text.
    {"Ça va, très bien merci. Über alles — schön!", {"Ça va, très bien merci.", "Über alles — schön!"}},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Rows, ClauseChunkerTable, ::testing::ValuesIn(kCases));

// Every case, split into two pieces at every byte (mid-word and mid-character included), one
// byte at a time, and in random token sizes, gives the same chunks as the whole text.
TEST(ClauseChunker, SameChunksForEverySplit) {
  std::mt19937 random(1234);
  for (const Case& c : kCases) {
    const std::string_view text = c.text;
    const auto expected = chunk_whole(text);
    for (size_t split = 0; split <= text.size(); ++split) {
      ASSERT_EQ(chunk_pieces({text.substr(0, split), text.substr(split)}), expected)
          << text << " split " << split;
    }
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
    ASSERT_EQ(chunk_pieces(bytes), expected) << text << " byte by byte";
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<std::string_view> tokens;
      for (size_t i = 0; i < text.size();) {
        const size_t length = std::min<size_t>(1 + random() % 6, text.size() - i);
        tokens.push_back(text.substr(i, length));
        i += length;
      }
      ASSERT_EQ(chunk_pieces(tokens), expected) << text << " trial " << trial;
    }
  }
}

// A 300 kB line fed two bytes at a time (whitespace first, then words without a boundary): each
// character costs O(1) — the fence check used to copy the whole line per character (quadratic:
// minutes here; a hang is this test's timeout) — and every word comes out once.
TEST(ClauseChunker, AVeryLongLineIsLinear) {
  std::string text(100000, ' ');
  for (int i = 0; i < 25000; ++i) text += "word ";
  text += "``` not a fence\n";
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < text.size(); i += 2) pieces.push_back(std::string_view(text).substr(i, 2));
  const std::vector<std::string> chunks = chunk_pieces(pieces);
  size_t words = 0;
  for (const std::string& chunk : chunks) {
    for (size_t at = chunk.find("word"); at != std::string::npos; at = chunk.find("word", at + 4)) ++words;
  }
  EXPECT_EQ(words, 25000u);
  EXPECT_GT(chunks.size(), 1u);  // the caps cut it
  ASSERT_FALSE(chunks.empty());
  EXPECT_NE(chunks.back().find("not a fence"), std::string::npos);
  // A fence after leading whitespace is still one.
  EXPECT_EQ(chunk_whole("Look:\n   ```\nx = 1. y = 2.\n```\nDone."),
            chunk_whole("Look:\n```\nx = 1. y = 2.\n```\nDone."));
}

TEST(ClauseChunker, FirstChunkIsReadyBeforeTheReplyEnds) {
  ClauseChunker chunker;
  std::vector<std::string> chunks;
  for (std::string_view token : {"Sure", ",", " I", " will", " set", " it", ",", " and", " then"}) {
    chunker.push(token, chunks);
  }
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0], "Sure, I will set it,");
}

TEST(ClauseChunker, CancelDropsEverythingAtOnce) {
  ClauseChunker chunker;
  std::vector<std::string> chunks;
  chunker.push("The first sentence is here. And half of the sec", chunks);
  ASSERT_EQ(chunks.size(), 1u);
  chunker.cancel();
  chunker.push("\xC3", chunks);  // half a character, then cancel again
  chunker.cancel();
  chunker.finish(chunks);
  EXPECT_EQ(chunks.size(), 1u);
  // A new reply starts fresh (first-chunk rules apply again).
  chunker.push("New reply, short one, yes. Ok", chunks);
  chunker.finish(chunks);
  const std::vector<std::string> expected = {"The first sentence is here.", "New reply, short one,",
                                             "yes.", "Ok"};
  EXPECT_EQ(chunks, expected);
}

TEST(ClauseChunker, LongLaterChunksCutAtClausesThenSpaces) {
  ClauseChunkerOptions options;
  options.long_chunk_chars = 20;
  options.max_chunk_chars = 30;
  const auto chunks = chunk_pieces(
      {"Start here. one two three four five, six seven eight nine ten eleven twelve thirteen"},
      options);
  const std::vector<std::string> expected = {"Start here.", "one two three four five,",
                                             "six seven eight nine ten", "eleven twelve thirteen"};
  EXPECT_EQ(chunks, expected);
}

}  // namespace
}  // namespace parley::tts
