// Pre-tokenizers of byte-level BPE families (internal to llm/): split text into the words that
// BPE merges never cross.
//
// Each family is a chain of stages, like the list of regular expressions llama.cpp applies in
// order: every stage splits each piece left by the previous stage into its matches *and* the
// text between matches. The expressions use \p{L}, \p{N}, \p{P} classes that std::regex cannot
// express, so each stage here is a small hand-written matcher with the expression it implements
// written above it, using the category table in unicode.h.
//
//   std::vector<uint32_t> cps = unicode::decode_utf8("Hello world's 1234");
//   std::vector<size_t> lengths;
//   pre_tokenize(PreTokenizer::kLlama3, cps, lengths);
//   // lengths == {5, 6, 2, 1, 3, 1}: "Hello", " world", "'s", " ", "123", "4"
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "llm/tokenizer.h"

namespace parley::llm {

// Replaces `word_lengths` with the lengths, in code points, of the consecutive words of `text`
// (they sum to text.size()).
void pre_tokenize(PreTokenizer family, const std::vector<uint32_t>& text,
                  std::vector<size_t>& word_lengths);

}  // namespace parley::llm
