// SentencePiece-style encoding (`tokenizer.ggml.model = llama`): score-driven bigram merging with
// byte fallback, as llama.cpp's llm_tokenizer_spm does it.
#include <queue>
#include <string>
#include <vector>

#include "llm/tokenizer.h"
#include "llm/unicode.h"

namespace parley::llm {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;  // into the escaped text
  size_t bytes;   // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t bytes;
};

// Highest score first; among equal scores the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

// `text` is already escaped: spaces written as U+2581, the space prefix added.
void Tokenizer::encode_spm(std::string_view text, std::vector<TokenId>& out) const {
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const size_t bytes = std::min(unicode::utf8_sequence_bytes(static_cast<uint8_t>(text[offset])),
                                  text.size() - offset);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back(
        Symbol{index - 1, offset + bytes == text.size() ? -1 : index + 1, offset, bytes});
    offset += bytes;
  }
  if (symbols.empty()) return;

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t bytes = symbols[left].bytes + symbols[right].bytes;
    const TokenId id = lookup(text.substr(symbols[left].offset, bytes));
    if (id == kNoToken) return;
    queue.push(Bigram{left, right, tokens_[id].score, bytes});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    // Skip pairs whose symbols changed since the pair was queued.
    if (left.bytes == 0 || right.bytes == 0 || left.bytes + right.bytes != bigram.bytes) continue;
    left.bytes += right.bytes;
    right.bytes = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  // Every merged symbol is a vocabulary piece; single characters that are not fall back to
  // their bytes.
  for (int i = 0; i != -1; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    const std::string_view piece = text.substr(s.offset, s.bytes);
    const TokenId id = lookup(piece);
    if (id != kNoToken) {
      out.push_back(id);
      continue;
    }
    for (char c : piece) out.push_back(byte_token(static_cast<uint8_t>(c)));
  }
}

}  // namespace parley::llm
