// Byte-level BPE encoding (`tokenizer.ggml.model = gpt2`), as llama.cpp's llm_tokenizer_bpe does
// it: pre-tokenize into words, map each word's bytes to printable code points, then merge the
// adjacent pair with the lowest merge rank until no pair has one.
#include <queue>
#include <string>
#include <vector>

#include "llm/tokenizer.h"
#include "llm/tokenizer_pretok.h"
#include "llm/unicode.h"

namespace parley::llm {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t offset;  // into the byte-encoded word
  size_t bytes;   // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  int rank;
  size_t bytes;
};

// Lowest rank first; among equal ranks the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

int Tokenizer::bpe_rank(std::string_view left, std::string_view right) const {
  std::string key;
  key.reserve(left.size() + 1 + right.size());
  key.append(left).append(1, ' ').append(right);
  const auto it = merge_ranks_.find(key);
  return it == merge_ranks_.end() ? -1 : it->second;
}

void Tokenizer::encode_bpe(std::string_view text, std::vector<TokenId>& out) const {
  const std::vector<uint32_t> cps = unicode::decode_utf8(text);
  std::vector<size_t> word_lengths;
  pre_tokenize(pre_, cps, word_lengths);

  std::string word;
  std::string utf8;
  std::vector<Symbol> symbols;
  size_t begin = 0;
  for (size_t length : word_lengths) {
    // The word's UTF-8 bytes, each written as its printable stand-in code point.
    word.clear();
    for (size_t i = begin; i < begin + length; ++i) {
      utf8.clear();
      unicode::append_utf8(cps[i], utf8);
      for (char c : utf8)
        unicode::append_utf8(unicode::byte_to_code_point(static_cast<uint8_t>(c)), word);
    }
    begin += length;

    if (ignore_merges_) {  // llama-3: a word that is a token is never split
      const TokenId id = lookup(word);
      if (id != kNoToken) {
        out.push_back(id);
        continue;
      }
    }

    symbols.clear();
    for (size_t offset = 0; offset < word.size();) {
      const size_t bytes = std::min(
          unicode::utf8_sequence_bytes(static_cast<uint8_t>(word[offset])), word.size() - offset);
      const int index = static_cast<int>(symbols.size());
      symbols.push_back(
          Symbol{index - 1, offset + bytes == word.size() ? -1 : index + 1, offset, bytes});
      offset += bytes;
    }
    const std::string_view w = word;
    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
    auto try_add = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      const Symbol& l = symbols[left];
      const Symbol& r = symbols[right];
      const int rank = bpe_rank(w.substr(l.offset, l.bytes), w.substr(r.offset, r.bytes));
      if (rank < 0) return;
      queue.push(Bigram{left, right, rank, l.bytes + r.bytes});
    };
    for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
      const Bigram bigram = queue.top();
      queue.pop();
      Symbol& left = symbols[bigram.left];
      Symbol& right = symbols[bigram.right];
      // Symbols are contiguous, so an unchanged pair has the same total length and adjacency.
      if (left.bytes == 0 || right.bytes == 0 || left.next != bigram.right ||
          left.bytes + right.bytes != bigram.bytes) {
        continue;
      }
      left.bytes += right.bytes;
      right.bytes = 0;
      left.next = right.next;
      if (right.next >= 0) symbols[right.next].prev = bigram.left;
      try_add(left.prev, bigram.left);
      try_add(bigram.left, left.next);
    }

    for (const Symbol& s : symbols) {
      if (s.bytes == 0) continue;
      const std::string_view piece = w.substr(s.offset, s.bytes);
      const TokenId id = lookup(piece);
      if (id != kNoToken) {
        out.push_back(id);
        continue;
      }
      // Not in the vocabulary (a broken vocabulary): fall back to single-byte tokens if any.
      for (char c : piece) {
        const TokenId byte_id = lookup(std::string_view(&c, 1));
        if (byte_id != kNoToken) out.push_back(byte_id);
      }
    }
  }
}

}  // namespace parley::llm
