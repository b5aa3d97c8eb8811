// shape_text_for_speech(): block-level markdown (fences, JSON paragraphs, headings, lists,
// tables, quotes, rules) and inline markup (links, code spans, emphasis, URLs, emoji), then
// normalize_for_speech() (text_normalization.cc) for numbers and abbreviations.
#include "tts/text_shaping.h"

#include <algorithm>
#include <regex>
#include <vector>

#include "tts/utf8.h"

namespace parley::tts {
namespace {

std::string trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// Removes every "<open>...</close>" section (an unterminated one runs to the end).
std::string drop_sections(std::string text, const std::string& open, const std::string& close) {
  size_t start;
  while ((start = text.find(open)) != std::string::npos) {
    const size_t end = text.find(close, start);
    text.erase(start, end == std::string::npos ? std::string::npos : end + close.size() - start);
  }
  return text;
}

bool is_emoji(char32_t c) {
  return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
         (c >= 0x2B00 && c <= 0x2BFF) || (c >= 0x2190 && c <= 0x21FF) || c == 0xFE0F ||
         c == 0xFE0E || c == 0x200D || c == 0x20E3 || (c >= 0xE0020 && c <= 0xE007F);
}

std::string drop_emoji(const std::string& text) {
  std::u32string code_points = utf8_decode(text);
  std::u32string kept;
  kept.reserve(code_points.size());
  for (char32_t c : code_points) {
    if (!is_emoji(c)) kept.push_back(c);
  }
  return utf8_encode(kept);
}

bool ends_with_pause(const std::string& line) {
  return !line.empty() && std::string_view(".!?:;,").find(line.back()) != std::string_view::npos;
}

bool looks_like_json(const std::string& paragraph) {
  const std::string text = trim(paragraph);
  if (text.size() < 2) return false;
  const bool object = text.front() == '{' && text.back() == '}';
  const bool array = text.front() == '[' && text.back() == ']';
  const bool has_quote = text.find('"') != std::string::npos;
  if (object) return has_quote || text.find(':') != std::string::npos;
  return array &&
         (has_quote || text.find(',') != std::string::npos);  // "[citation needed]" is prose
}

// Inline markdown, HTML, URLs and emoji of one line.
std::string shape_inline(std::string line) {
  static const std::regex image(R"(!\[([^\]]*)\]\([^)]*\))");
  line = std::regex_replace(line, image, "$1");
  static const std::regex link(R"(\[([^\]]+)\]\([^)]*\))");
  line = std::regex_replace(line, link, "$1");
  static const std::regex reference_link(R"(\[([^\]]+)\]\[[^\]]*\])");
  line = std::regex_replace(line, reference_link, "$1");
  static const std::regex inline_json(R"(\{[^{}]*"[^{}]*:[^{}]*\})");
  line = std::regex_replace(line, inline_json, "");
  // Code spans: plain words are kept, anything else is dropped.
  static const std::regex code_span(R"(`+([^`]*)`+)");
  static const std::regex plain_words(R"([A-Za-z][A-Za-z ]{0,30})");
  std::string out;
  auto last = line.cbegin();
  for (std::sregex_iterator it(line.begin(), line.end(), code_span), end; it != end; ++it) {
    out.append(last, (*it)[0].first);
    if (std::regex_match((*it)[1].str(), plain_words)) out += (*it)[1].str();
    last = (*it)[0].second;
  }
  out.append(last, line.cend());
  line = std::move(out);
  // URLs -> host; e-mail -> "name at host".
  static const std::regex url(
      R"((?:https?://|www\.)(?:www\.)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?:[/?#:][^\s)>\]]*[^\s)>\].,;:!?])?/?)");
  line = std::regex_replace(line, url, "$1");
  static const std::regex email(R"(\b([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b)");
  line = std::regex_replace(line, email, "$1 at $2");
  static const std::regex html_tag(R"(</?[A-Za-z][^<>]*>)");
  line = std::regex_replace(line, html_tag, "");
  // Emphasis and strike markers; '_' inside a word joins words ("snake_case" -> "snake case").
  static const std::regex strike(R"(~~)");
  line = std::regex_replace(line, strike, "");
  static const std::regex stars(R"(\*+)");
  line = std::regex_replace(line, stars, "");
  static const std::regex inner_underscore(R"(([A-Za-z0-9])_+([A-Za-z0-9]))");
  line = std::regex_replace(line, inner_underscore, "$1 $2");
  static const std::regex underscores(R"(_+)");
  line = std::regex_replace(line, underscores, "");
  // Dashes used as pauses.
  static const std::regex dash_pause(R"(\s*(—|–|--)\s*(?=[^\d]))");
  line = std::regex_replace(line, dash_pause, ", ");
  return drop_emoji(line);
}

// One markdown line (outside code fences) to speakable text, or "" to drop it.
std::string shape_line(const std::string& raw_line) {
  std::string line = trim(raw_line);
  static const std::regex rule(R"(([-*_])(\s*\1){2,})");
  if (std::regex_match(line, rule)) return "";
  static const std::regex table_separator(R"(\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?)");
  if (std::regex_match(line, table_separator)) return "";
  bool needs_pause = false;
  static const std::regex heading(R"(#{1,6}\s+(.*?)\s*#*)");
  static const std::regex quote(R"(>+\s?(.*))");
  static const std::regex bullet(R"((?:[-*+•]|\d{1,3}[.)])\s+(.*))");
  std::smatch match;
  if (std::regex_match(line, match, quote)) line = trim(match[1].str());
  if (std::regex_match(line, match, heading)) {
    line = match[1].str();
    needs_pause = true;
  } else if (std::regex_match(line, match, bullet)) {
    line = match[1].str();
    needs_pause = true;
  }
  if (std::count(line.begin(), line.end(), '|') >= 2 || (!line.empty() && line.front() == '|')) {
    std::string row;
    size_t start = 0;
    while (start <= line.size()) {
      size_t bar = line.find('|', start);
      if (bar == std::string::npos) bar = line.size();
      std::string cell = trim(shape_inline(line.substr(start, bar - start)));
      while (!cell.empty() && ends_with_pause(cell)) cell.pop_back();
      if (!cell.empty()) row += (row.empty() ? "" : ", ") + cell;
      start = bar + 1;
    }
    line = row;
    needs_pause = true;
  } else {
    line = trim(shape_inline(line));
  }
  if (needs_pause && !line.empty() && !ends_with_pause(line)) line += '.';
  return line;
}

// Leftover markup symbols and spacing of one piece of shaped text.
std::string tidy_piece(std::string out) {
  static const std::regex leftover(R"([`*_#|<>{}\[\]\\^~])");
  out = std::regex_replace(out, leftover, " ");
  static const std::regex spaces(R"(\s+)");
  out = std::regex_replace(out, spaces, " ");
  static const std::regex space_before_punctuation(R"( ([.,;:!?)]))");
  out = std::regex_replace(out, space_before_punctuation, "$1");
  static const std::regex open_paren_space(R"(\( )");
  out = std::regex_replace(out, open_paren_space, "(");
  static const std::regex empty_parens(R"(\(\s*\))");
  out = std::regex_replace(out, empty_parens, "");
  static const std::regex doubled_pause(R"([,;:]\s*([.!?]))");
  out = std::regex_replace(out, doubled_pause, "$1");
  static const std::regex repeated_comma(R"(,(\s*,)+)");
  out = std::regex_replace(out, repeated_comma, ",");
  return out;
}

}  // namespace

std::string shape_text_for_speech(std::string_view input, const TextShapingOptions& options) {
  std::string text(input);
  text = drop_sections(text, "<tool_call>", "</tool_call>");
  text = drop_sections(text, "<think>", "</think>");

  // Split into lines; gather paragraphs so JSON paragraphs can be recognised whole.
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t newline = text.find('\n', start);
    if (newline == std::string::npos) newline = text.size();
    lines.push_back(text.substr(start, newline - start));
    start = newline + 1;
  }

  std::vector<std::string> spoken;  // one entry per sentence-ish piece
  auto placeholder = [&] {
    if (!options.code_placeholder.empty()) spoken.push_back(options.code_placeholder);
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string line = trim(lines[i]);
    if (line.rfind("```", 0) == 0 || line.rfind("~~~", 0) == 0) {
      const std::string fence = line.substr(0, 3);
      size_t close = i + 1;
      while (close < lines.size() && trim(lines[close]).rfind(fence, 0) != 0) ++close;
      placeholder();
      i = close;  // past the closing fence (or the end)
      continue;
    }
    if (!line.empty() && (line.front() == '{' || line.front() == '[')) {
      // A paragraph that is JSON: up to the next blank line.
      size_t end = i;
      std::string paragraph;
      while (end < lines.size() && !trim(lines[end]).empty()) paragraph += lines[end++] + "\n";
      if (looks_like_json(paragraph)) {
        placeholder();
        i = end - 1;
        continue;
      }
    }
    for (std::string_view piece : split_bounded(lines[i], kRegexPieceBytes)) {
      std::string shaped = shape_line(std::string(piece));
      if (!shaped.empty()) spoken.push_back(std::move(shaped));
    }
  }

  std::string joined;
  for (const std::string& piece : spoken) {
    if (!joined.empty()) joined += ' ';
    joined += piece;
  }
  const std::string normalized = normalize_for_speech(joined);
  std::string out;
  for (std::string_view piece : split_bounded(normalized, kRegexPieceBytes)) {
    const std::string tidy = trim(tidy_piece(std::string(piece)));
    if (tidy.empty()) continue;
    if (!out.empty()) out += ' ';
    out += tidy;
  }
  return trim(out);
}

}  // namespace parley::tts
