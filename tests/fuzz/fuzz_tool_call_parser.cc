// The streaming tool-call parser: the reply is cut into pieces at positions taken from the input
// (first byte: piece length pattern). Checks the contract: it never throws, the split does not
// change the result, and every call comes from an opening tag.
#include <string>
#include <vector>

#include "assistant/core/tool_call_parser.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

struct Result {
  std::string speakable;
  std::vector<parley::assistant::ToolCallText> calls;
};

Result run(std::string_view text, uint8_t pattern) {
  parley::assistant::ToolCallStreamParser parser;
  Result r;
  size_t i = 0;
  size_t k = 0;
  while (i < text.size()) {
    const size_t n = pattern == 0 ? text.size() : 1 + ((pattern >> (k++ % 8)) & 0x7);
    const std::string_view piece = text.substr(i, n);
    std::string speakable;
    parser.push(piece, speakable, r.calls);
    r.speakable += speakable;
    i += piece.size();
  }
  std::string speakable;
  parser.finish(speakable, r.calls);
  r.speakable += speakable;
  return r;
}

}  // namespace

PARLEY_FUZZ_TARGET(tool_call_parser) {
  if (size < 1) return 0;
  const std::string_view text = parley::fuzz::as_text(data + 1, size - 1);
  const Result whole = run(text, 0);
  const Result split = run(text, data[0] | 1);
  if (whole.speakable != split.speakable || whole.calls.size() != split.calls.size())
    __builtin_trap();
  for (size_t c = 0; c < whole.calls.size(); ++c)
    if (whole.calls[c].body != split.calls[c].body || whole.calls[c].closed != split.calls[c].closed)
      __builtin_trap();
  // Every call comes from an opening tag in the reply. (The speakable text itself may spell a
  // tag: "<tool_" + a whole call + "call>" leaves "<tool_call>" once the call is removed.)
  size_t tags = 0;
  for (size_t at = text.find(parley::assistant::kToolCallOpenTag); at != std::string_view::npos;
       at = text.find(parley::assistant::kToolCallOpenTag, at + 1))
    ++tags;
  if (whole.calls.size() > tags) __builtin_trap();
  return 0;
}
