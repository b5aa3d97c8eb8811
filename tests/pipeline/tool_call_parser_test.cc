// ToolCallStreamParser: the speakable text and the call bodies are the same for every way a reply
// is split into pieces, tool-call text never reaches the speakable side, and odd endings.
#include "assistant/core/tool_call_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::assistant {
namespace {

struct Parsed {
  std::string speakable;
  std::vector<ToolCallText> calls;
};

Parsed parse_in_pieces(const std::string& text, const std::vector<size_t>& cuts) {
  ToolCallStreamParser parser;
  Parsed out;
  size_t start = 0;
  for (size_t cut : cuts) {
    std::string piece_out;
    parser.push(std::string_view(text).substr(start, cut - start), piece_out, out.calls);
    // Nothing that could belong to a tool call is ever released.
    EXPECT_EQ(piece_out.find('<'), std::string::npos) << "released '" << piece_out << "'";
    out.speakable += piece_out;
    start = cut;
  }
  std::string rest;
  parser.push(std::string_view(text).substr(start), rest, out.calls);
  parser.finish(rest, out.calls);
  out.speakable += rest;
  return out;
}

struct Case {
  const char* name;
  std::string reply;
  std::string speakable;
  std::vector<std::string> bodies;
  bool last_closed;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"plain", "It is seven.", "It is seven.", {}, true},
      {"call only",
       R"(<tool_call>{"name": "get_time", "arguments": {}}</tool_call>)",
       "",
       {R"({"name": "get_time", "arguments": {}})"},
       true},
      {"text around",
       "Sure. <tool_call>\n{\"name\": \"stop\"}\n</tool_call> Done.",
       "Sure.  Done.",
       {"\n{\"name\": \"stop\"}\n"},
       true},
      {"two calls",
       "<tool_call>{\"a\":1}</tool_call>and<tool_call>{\"b\":2}</tool_call>",
       "and",
       {"{\"a\":1}", "{\"b\":2}"},
       true},
      {"unterminated",
       "Okay <tool_call>{\"name\": \"get_date\"}",
       "Okay ",
       {"{\"name\": \"get_date\"}"},
       false},
      {"tag prefix at end", "Less than <tool", "Less than <tool", {}, true},
      {"near miss", "a <tool_cal> b", "a <tool_cal> b", {}, true},
      {"close tag in text", "x </tool_call> y", "x </tool_call> y", {}, true},
  };
  return table;
}

TEST(ToolCallParser, EverySplitGivesTheSameResult) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    // Whole, every single cut, and byte by byte.
    std::vector<std::vector<size_t>> splits = {{}};
    for (size_t i = 1; i < c.reply.size(); ++i) splits.push_back({i});
    std::vector<size_t> bytes;
    for (size_t i = 1; i < c.reply.size(); ++i) bytes.push_back(i);
    splits.push_back(bytes);
    for (const std::vector<size_t>& cuts : splits) {
      ToolCallStreamParser parser;
      Parsed p;
      size_t start = 0;
      for (size_t cut : cuts) {
        parser.push(std::string_view(c.reply).substr(start, cut - start), p.speakable, p.calls);
        start = cut;
      }
      parser.push(std::string_view(c.reply).substr(start), p.speakable, p.calls);
      parser.finish(p.speakable, p.calls);
      ASSERT_EQ(p.speakable, c.speakable) << "cuts " << cuts.size();
      ASSERT_EQ(p.calls.size(), c.bodies.size());
      for (size_t i = 0; i < c.bodies.size(); ++i) EXPECT_EQ(p.calls[i].body, c.bodies[i]);
      if (!p.calls.empty()) {
        EXPECT_EQ(p.calls.back().closed, c.last_closed);
      }
      EXPECT_FALSE(parser.inside_call()) << "finish() resets";
    }
  }
}

TEST(ToolCallParser, ToolCallTextIsNeverReleasedMidStream) {
  const std::string reply =
      "Timer set. <tool_call>{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"5 "
      "minutes\"}}</tool_call>";
  for (size_t cut = 1; cut < reply.size(); ++cut) {
    const Parsed p = parse_in_pieces(reply, {cut});
    EXPECT_EQ(p.speakable, "Timer set. ");
    ASSERT_EQ(p.calls.size(), 1u);
  }
}

TEST(ToolCallParser, SpeakableTextIsReleasedWithoutWaitingForTheEnd) {
  ToolCallStreamParser parser;
  std::string out;
  std::vector<ToolCallText> calls;
  parser.push("Hello there, ", out, calls);
  EXPECT_EQ(out, "Hello there, ") << "no '<' in sight: released at once";
  out.clear();
  parser.push("friend <to", out, calls);
  EXPECT_EQ(out, "friend ") << "only the possible tag prefix is held";
  out.clear();
  parser.push("day", out, calls);
  EXPECT_EQ(out, "<today");
  EXPECT_TRUE(calls.empty());
}

}  // namespace
}  // namespace parley::assistant
