// Text shaping — turns an LLM reply (often markdown) into what a person would say aloud, before
// phonemization. English rules.
//
// What happens to the text
//   * Markdown: emphasis/strike markers, heading '#', bullets, numbered-list marks, block quotes
//     and rules are removed; headings, list items and table rows end with a pause ('.' if they
//     have no punctuation); table cells are read left to right separated by commas; link and
//     image text is kept, the target dropped. HTML tags are removed; <tool_call> and <think>
//     sections are dropped whole.
//   * Code: a fenced code block, or a paragraph that is a JSON object/array, becomes
//     `options.code_placeholder` ("Code omitted." by default; "" drops it silently). Inline code
//     is kept only when it is plain words (`timer`), otherwise dropped. Inline JSON objects are
//     dropped.
//   * URLs are summarised as their host ("https://www.example.com/a?b" -> "example.com", which
//     espeak reads "example dot com"); e-mail addresses read "name at host". Emoji are dropped.
//   * Numbers become words: cardinals with thousands separators, decimals ("three point one
//     four"), negatives ("minus five"), ranges ("5-10" -> "five to ten"), ordinals ("21st"),
//     percentages, currency ($ € £ ¥, with cents/pence), times ("7:30" -> "seven thirty",
//     "19:05" -> "nineteen oh five", am/pm), dates (ISO, M/D/YYYY, "March 5, 2024",
//     "5 March 2024"), years after words like "in"/"since" and decades ("1990s"), common units
//     after numbers (km/h, °C, kg, GB, ...), simple fractions.
//   * Abbreviations (Dr., Mr., e.g., i.e., etc., vs., approx., No.) are expanded; all-capital
//     acronyms that are not pronounceable (USB, HTML, GPU) are spelled letter by letter.
// Not a hot path: allocates freely; never throws on any input (invalid UTF-8 included).
//
// Usage
//   std::string spoken = parley::tts::shape_text_for_speech("**Note:** it costs $3.50 (~5%).");
//   // "Note: it costs three dollars and fifty cents (about five percent)."
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::tts {

struct TextShapingOptions {
  // Spoken instead of a code block or JSON paragraph; empty drops it.
  std::string code_placeholder = "Code omitted.";
};

std::string shape_text_for_speech(std::string_view text, const TextShapingOptions& options = {});

// Text is shaped in pieces of at most this many bytes, cut at whitespace (a line or a run of
// text without it is cut where it must): libstdc++'s std::regex matches recursively, a chain of
// stack frames per character of a match, and numbers are found by patterns that are quadratic
// in a run of digits — a 100 kB run of spaces overflowed the stack and 1,000 digits took
// seconds before. Constructs that span a cut (a markdown link, "May 5") are only possible in
// text that long.
inline constexpr size_t kRegexPieceBytes = 1024;

// The inline steps alone (no block-level markdown): numbers, units, abbreviations, symbols.
std::string normalize_for_speech(std::string_view plain_text);

}  // namespace parley::tts
