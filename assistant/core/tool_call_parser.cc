#include "assistant/core/tool_call_parser.h"

#include <algorithm>

namespace parley::assistant {

namespace {

// Length of the longest suffix of `text` that is a proper prefix of `tag`.
size_t held_prefix_length(std::string_view text, std::string_view tag) {
  for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n) {
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

}  // namespace

void ToolCallStreamParser::push(std::string_view piece, std::string& speakable,
                                std::vector<ToolCallText>& calls) {
  // Where a tag could start in pending_: text before this point was already searched.
  const size_t longest_tag = std::max(kToolCallOpenTag.size(), kToolCallCloseTag.size());
  size_t search_from = pending_.size() >= longest_tag ? pending_.size() - longest_tag : 0;
  pending_.append(piece);
  for (;;) {
    if (!inside_call_) {
      const size_t open = pending_.find(kToolCallOpenTag, search_from);
      if (open != std::string::npos) {
        speakable.append(pending_, 0, open);
        pending_.erase(0, open + kToolCallOpenTag.size());
        inside_call_ = true;
        search_from = 0;
        continue;
      }
      const size_t held = held_prefix_length(pending_, kToolCallOpenTag);
      speakable.append(pending_, 0, pending_.size() - held);
      pending_.erase(0, pending_.size() - held);
      return;
    }
    const size_t close = pending_.find(kToolCallCloseTag, search_from);
    if (close == std::string::npos) return;  // the body goes on in the next piece
    calls.push_back({pending_.substr(0, close), true});
    pending_.erase(0, close + kToolCallCloseTag.size());
    inside_call_ = false;
    search_from = 0;
  }
}

void ToolCallStreamParser::finish(std::string& speakable, std::vector<ToolCallText>& calls) {
  if (inside_call_) {
    calls.push_back({pending_, false});
  } else {
    speakable.append(pending_);
  }
  reset();
}

void ToolCallStreamParser::reset() {
  inside_call_ = false;
  pending_.clear();
}

}  // namespace parley::assistant
