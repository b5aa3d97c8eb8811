#include "asr/token_table.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "kernels/error.h"

namespace parley::asr {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581 '▁'

bool is_blank_char(char c) {
  return c == ' ' || c == '\t';
}

[[noreturn]] void fail_at(const std::string& source, size_t line, const std::string& what) {
  throw Error(source + ":" + std::to_string(line) + ": " + what);
}

bool is_special(std::string_view symbol) {
  return symbol.size() >= 3 && symbol.front() == '<' && symbol.back() == '>';
}

// `<0xHH>` -> byte value, else -1.
int byte_fallback(std::string_view symbol) {
  if (symbol.size() != 6 || symbol.substr(0, 3) != "<0x" || symbol[5] != '>') return -1;
  int value = 0;
  auto [end, error] = std::from_chars(symbol.data() + 3, symbol.data() + 5, value, 16);
  return error == std::errc() && end == symbol.data() + 5 ? value : -1;
}

}  // namespace

TokenTable TokenTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open tokens table");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(path + ": read error");
  return parse(text.str(), path);
}

TokenTable TokenTable::parse(std::string_view text, const std::string& source_name) {
  TokenTable table;
  table.source_name_ = source_name;
  std::vector<std::pair<std::string, int64_t>> entries;
  std::vector<size_t> entry_lines;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos) fail_at(source_name, line_number, "NUL byte");

    size_t id_end = line.size();
    while (id_end > 0 && is_blank_char(line[id_end - 1])) --id_end;
    if (id_end == 0) continue;  // whitespace only
    size_t id_begin = id_end;
    while (id_begin > 0 && !is_blank_char(line[id_begin - 1])) --id_begin;
    const std::string_view id_text = line.substr(id_begin, id_end - id_begin);
    int64_t id = -1;
    auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (error != std::errc() || end != id_text.data() + id_text.size() || id < 0) {
      fail_at(
          source_name, line_number,
          "expected `symbol id` with a non-negative integer id, got \"" + std::string(line) + "\"");
    }
    if (id > 10'000'000) {
      fail_at(source_name, line_number, "id " + std::to_string(id) + " is implausibly large");
    }
    std::string_view symbol = line.substr(0, id_begin);
    while (!symbol.empty() && is_blank_char(symbol.back())) symbol.remove_suffix(1);
    size_t lead = 0;
    while (lead < symbol.size() && is_blank_char(symbol[lead])) ++lead;
    symbol.remove_prefix(lead);
    std::string symbol_text(symbol);
    if (symbol_text.empty()) {
      if (id_begin == 0) {
        fail_at(source_name, line_number,
                "expected `symbol id`, got only \"" + std::string(line) + "\"");
      }
      symbol_text.assign(1, ' ');  // a line like " 17": the space token
    }
    entries.emplace_back(std::move(symbol_text), id);
    entry_lines.push_back(line_number);
  }
  if (entries.empty()) throw Error(source_name + ": tokens table is empty");

  table.symbols_.assign(entries.size(), std::string());
  std::vector<size_t> line_of_id(entries.size(), 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& [symbol, id] = entries[i];
    if (id >= static_cast<int64_t>(entries.size())) {
      fail_at(source_name, entry_lines[i],
              "id " + std::to_string(id) + " is out of range: ids must be 0.." +
                  std::to_string(entries.size() - 1) + " for " + std::to_string(entries.size()) +
                  " tokens");
    }
    const auto index = static_cast<size_t>(id);
    if (line_of_id[index] != 0) {
      fail_at(source_name, entry_lines[i],
              "id " + std::to_string(id) + " repeats line " + std::to_string(line_of_id[index]));
    }
    if (!table.ids_.emplace(symbol, id).second) {
      fail_at(source_name, entry_lines[i], "symbol \"" + symbol + "\" appears twice");
    }
    line_of_id[index] = entry_lines[i];
    table.symbols_[index] = std::move(symbol);
  }
  // With n entries, ids in [0, n) and no repeats, every id is present.
  return table;
}

const std::string& TokenTable::symbol(int64_t id) const {
  if (id < 0 || id >= static_cast<int64_t>(symbols_.size())) {
    throw Error(source_name_ + ": token id " + std::to_string(id) + " is outside 0.." +
                std::to_string(symbols_.size() - 1));
  }
  return symbols_[static_cast<size_t>(id)];
}

std::optional<int64_t> TokenTable::find(std::string_view symbol) const {
  auto it = ids_.find(std::string(symbol));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

int64_t TokenTable::blank_id() const {
  for (const char* name : {"<blk>", "<blank>"}) {
    if (auto id = find(name)) return *id;
  }
  throw Error(source_name_ + ": no blank token (<blk> or <blank>)");
}

std::string TokenTable::piece(int64_t id) const {
  const std::string& sym = symbol(id);
  if (const int byte = byte_fallback(sym); byte >= 0)
    return std::string(1, static_cast<char>(byte));
  if (is_special(sym)) return std::string();
  std::string out;
  out.reserve(sym.size());
  for (size_t i = 0; i < sym.size();) {
    if (std::string_view(sym).substr(i, kWordStart.size()) == kWordStart) {
      out.push_back(' ');
      i += kWordStart.size();
    } else {
      out.push_back(sym[i++]);
    }
  }
  return out;
}

std::string TokenTable::to_text(std::span<const int64_t> ids) const {
  std::string text;
  for (int64_t id : ids) text += piece(id);
  if (!text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

}  // namespace parley::asr
