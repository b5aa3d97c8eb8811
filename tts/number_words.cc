#include "tts/number_words.h"

#include <array>

namespace parley::tts {
namespace {

constexpr std::array<const char*, 20> kOnes = {
    "zero",     "one",     "two",     "three",     "four",     "five",    "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<const char*, 10> kTens = {"",      "",      "twenty",  "thirty", "forty",
                                               "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<const char*, 7> kScales = {"",         "thousand",    "million",    "billion",
                                                "trillion", "quadrillion", "quintillion"};

// 0 < n < 1000.
void append_hundreds(int n, std::string& out) {
  auto space = [&] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  if (n >= 100) {
    space();
    out += kOnes[n / 100];
    out += " hundred";
    n %= 100;
  }
  if (n == 0) return;
  space();
  if (n < 20) {
    out += kOnes[n];
  } else {
    out += kTens[n / 10];
    if (n % 10 != 0) {
      out += '-';
      out += kOnes[n % 10];
    }
  }
}

}  // namespace

std::string cardinal_words(int64_t number) {
  if (number == 0) return "zero";
  std::string out;
  uint64_t magnitude = number < 0 ? uint64_t(0) - uint64_t(number) : uint64_t(number);
  if (number < 0) out = "minus";
  int groups[7] = {};
  int count = 0;
  while (magnitude > 0) {
    groups[count++] = int(magnitude % 1000);
    magnitude /= 1000;
  }
  for (int g = count - 1; g >= 0; --g) {
    if (groups[g] == 0) continue;
    append_hundreds(groups[g], out);
    if (g > 0) {
      out += ' ';
      out += kScales[g];
    }
  }
  return out;
}

std::string ordinal_words(int64_t number) {
  std::string words = cardinal_words(number);
  // Replace the last word ("one" -> "first", "twenty" -> "twentieth", "seven" -> "seventh").
  const size_t start =
      words.find_last_of(" -") == std::string::npos ? 0 : words.find_last_of(" -") + 1;
  const std::string last = words.substr(start);
  static constexpr std::pair<const char*, const char*> kIrregular[] = {
      {"one", "first"},    {"two", "second"}, {"three", "third"},   {"five", "fifth"},
      {"eight", "eighth"}, {"nine", "ninth"}, {"twelve", "twelfth"}};
  for (const auto& [cardinal, ordinal] : kIrregular) {
    if (last == cardinal) return words.substr(0, start) + ordinal;
  }
  if (last.back() == 'y') return words.substr(0, words.size() - 1) + "ieth";
  return words + "th";
}

std::string year_words(int64_t year) {
  if (year < 1000 || year > 9999) return cardinal_words(year);
  const int high = int(year / 100);
  const int low = int(year % 100);
  if (year % 1000 == 0) return cardinal_words(year);             // 2000
  if (year >= 2000 && year < 2010) return cardinal_words(year);  // 2005
  std::string out = cardinal_words(high);
  if (low == 0) return out + " hundred";           // 1900
  if (low < 10) return out + " oh " + kOnes[low];  // 1905
  return out + " " + cardinal_words(low);          // 1995, 2024
}

std::string digit_words(std::string_view digits) {
  std::string out;
  for (char c : digits) {
    if (c < '0' || c > '9') continue;
    if (!out.empty()) out += ' ';
    out += kOnes[c - '0'];
  }
  return out;
}

}  // namespace parley::tts
