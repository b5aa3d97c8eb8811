// TokenTable: sherpa-onnx tokens.txt parsing (the shared Zipformer2 table, CRLF, space token),
// BPE '▁' and byte-fallback text, and malformed files rejected with "<file>:<line>: ..." errors.
#include "asr/token_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/error.h"

namespace parley::asr {
namespace {

// Expects parse() to throw and the message to contain each of `fragments`.
void expect_parse_error(const std::string& text, std::vector<std::string> fragments) {
  try {
    TokenTable::parse(text, "bad_tokens.txt");
    ADD_FAILURE() << "accepted:\n" << text;
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "message \"" << message << "\" lacks \"" << fragment << "\"";
    }
  }
}

TEST(TokenTable, LoadsTheSharedZipformerTable) {
  const std::string path =
      std::string(PARLEY_SHARED_TESTDATA) + "/asr/zipformer2_small_random/tokens.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  const TokenTable table = TokenTable::load(path);
  EXPECT_EQ(table.size(), 500u);
  EXPECT_EQ(table.blank_id(), 0);
  EXPECT_EQ(table.symbol(1), "<sos/eos>");
  EXPECT_EQ(table.symbol(499), "tok499");
  EXPECT_EQ(table.find("tok3"), 3);
  EXPECT_EQ(table.source_name(), path);
}

TEST(TokenTable, BpeWordStartsBecomeSpaces) {
  const TokenTable table = TokenTable::parse(
      "<blk> 0\n<sos/eos> 1\n<unk> 2\n\xE2\x96\x81HEL 3\nLO 4\n\xE2\x96\x81WORLD 5\n"
      "<0x41> 6\n<0xC3> 7\n<0xA9> 8\n\xE2\x96\x81 9\n",
      "mem");
  EXPECT_EQ(table.to_text(std::vector<int64_t>{3, 4, 5}), "HELLO WORLD");
  EXPECT_EQ(table.to_text(std::vector<int64_t>{2, 3, 1, 4}), "HELLO");      // specials are silent
  EXPECT_EQ(table.to_text(std::vector<int64_t>{9, 6, 7, 8}), "A\xC3\xA9");  // bytes -> "Aé"
  EXPECT_EQ(table.piece(5), " WORLD");
  EXPECT_EQ(table.piece(0), "");
  EXPECT_EQ(table.to_text(std::vector<int64_t>{}), "");
  EXPECT_THROW(table.to_text(std::vector<int64_t>{10}), Error);
  EXPECT_THROW(table.symbol(-1), Error);
}

TEST(TokenTable, AcceptsCrlfTabsBlankLinesAndTheSpaceToken) {
  const TokenTable table = TokenTable::parse("<blank>\t0\r\n\r\n 1\r\na b 2\n", "mem");
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.blank_id(), 0);
  EXPECT_EQ(table.symbol(1), " ");
  EXPECT_EQ(table.symbol(2), "a b");  // the id is the last field; the rest is the symbol
  EXPECT_EQ(table.to_text(std::vector<int64_t>{2, 1, 2}), "a b a b");
}

TEST(TokenTable, RejectsMalformedTablesNamingFileAndLine) {
  expect_parse_error("", {"bad_tokens.txt", "empty"});
  expect_parse_error("\n\n", {"bad_tokens.txt", "empty"});
  expect_parse_error("<blk> 0\nfoo\n", {"bad_tokens.txt:2:", "foo"});
  expect_parse_error("<blk> 0\nfoo bar\n", {"bad_tokens.txt:2:", "non-negative integer"});
  expect_parse_error("<blk> 0\nfoo -1\n", {"bad_tokens.txt:2:"});
  expect_parse_error("<blk> 0\nfoo 1x\n", {"bad_tokens.txt:2:"});
  expect_parse_error("<blk> 0\na 1\nb 1\n", {"bad_tokens.txt:3:", "repeats line 2"});
  expect_parse_error("<blk> 0\na 1\na 2\n", {"bad_tokens.txt:3:", "\"a\" appears twice"});
  expect_parse_error("<blk> 0\na 5\n", {"bad_tokens.txt:2:", "out of range"});
  expect_parse_error("<blk> 0\na 99999999999\n", {"bad_tokens.txt:2:"});
  expect_parse_error(std::string("<blk> 0\na\0b 1\n", 14), {"bad_tokens.txt:2:", "NUL"});
  // A table without a blank parses; blank_id() is what fails.
  try {
    TokenTable::parse("a 0\n", "nb.txt").blank_id();
    ADD_FAILURE() << "blank_id() without a blank";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("nb.txt"), std::string::npos);
  }
}

TEST(TokenTable, LoadReportsMissingFile) {
  try {
    TokenTable::load("/nonexistent/tokens.txt");
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/tokens.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace parley::asr
