// English number words for speech: cardinals, ordinals, years, digit strings.
//
//   cardinal_words(1234)     -> "one thousand two hundred thirty-four"
//   ordinal_words(21)        -> "twenty-first"
//   year_words(2024)         -> "twenty twenty-four";  year_words(1905) -> "nineteen oh five"
//   digit_words("0314")      -> "zero three one four"
// Cardinals cover |n| < 10^18 (negatives read "minus ..."); American style, no "and".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::tts {

std::string cardinal_words(int64_t number);
std::string ordinal_words(int64_t number);
// Years 1000..9999 read as pairs ("nineteen ninety-five"; "two thousand", "two thousand five",
// "twenty ten"); other values fall back to cardinal_words.
std::string year_words(int64_t year);
// Each ASCII digit as a word, separated by spaces; other characters are skipped.
std::string digit_words(std::string_view digits);

}  // namespace parley::tts
