// ToolCallStreamParser — separates `<tool_call>{"name": …, "arguments": …}</tool_call>` blocks
// from the speakable text of a streamed LLM reply, incrementally, so no tool-call text is ever
// handed to TTS.
//
// Contracts
//   * push() accepts the reply in pieces split anywhere (inside the tag, inside the JSON). Text
//     that might be the start of the opening tag ("<tool", "<tool_ca") is held back until the
//     next piece decides; everything else goes out at once, so speech is never delayed by more
//     than the length of the tag.
//   * Each completed call body (the text between the tags, untrimmed) is appended to `calls`;
//     the tags and the body never appear in `speakable`.
//   * finish() flushes held-back text; a call still open at the end of the reply (the model
//     stopped before `</tool_call>`) is returned with closed == false — its body may still be
//     complete JSON, and ToolRegistry decides.
//   * Not thread-safe: one parser per reply stream. Never throws on any input.
//
// Usage
//   ToolCallStreamParser parser;
//   std::string speakable;
//   std::vector<ToolCallText> calls;
//   for (std::string_view piece : llm_pieces) {
//     speakable.clear();
//     parser.push(piece, speakable, calls);
//     chunker.push(speakable, clauses);                 // only ever speakable text
//   }
//   parser.finish(speakable, calls);
//   for (const ToolCallText& call : calls) results.push_back(registry.call_text(call.body));
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::assistant {

inline constexpr std::string_view kToolCallOpenTag = "<tool_call>";
inline constexpr std::string_view kToolCallCloseTag = "</tool_call>";

struct ToolCallText {
  std::string body;    // the text between the tags
  bool closed = true;  // false: the reply ended before the closing tag
};

class ToolCallStreamParser {
 public:
  void push(std::string_view piece, std::string& speakable, std::vector<ToolCallText>& calls);
  void finish(std::string& speakable, std::vector<ToolCallText>& calls);
  bool inside_call() const { return inside_call_; }
  void reset();

 private:
  bool inside_call_ = false;
  std::string pending_;  // held-back text (possible tag prefix) or the open call's body
};

}  // namespace parley::assistant
