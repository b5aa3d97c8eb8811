#include "llm/tool_call_grammar.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "kernels/error.h"

namespace parley::llm {
namespace {

constexpr size_t kMaxWhitespace = 8;     // per run
constexpr size_t kMaxStringBytes = 512;  // per string value, name or key
constexpr size_t kMaxDigits = 15;        // integer and mantissa digits (exact in a double)
constexpr int kMaxDepth = 8;             // nesting of free-form values

// kMore: the input ended inside the production (it may still be completed).
enum class Step : uint8_t { kOk, kMore, kBad };

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

void append_utf8(unsigned cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Is there an integer in [minimum, maximum] whose decimal digits start with `digits` (with the
// sign `negative`)? `digits` may be empty (only the sign so far).
bool integer_prefix_viable(std::string_view digits, bool negative, const ToolCallParameter& p) {
  const double lo = p.minimum.value_or(-1e300);
  const double hi = p.maximum.value_or(1e300);
  auto overlaps = [&](double a, double b) { return a <= hi && b >= lo; };  // [a, b] ∩ [lo, hi]
  if (digits.empty()) return negative ? lo < 0 : true;
  double m = 0;
  for (char c : digits) m = m * 10 + (c - '0');
  if (digits == "0") return overlaps(0, 0);  // no digit may follow a leading zero
  double scale = 1;
  for (size_t extra = 0; digits.size() + extra <= kMaxDigits; ++extra, scale *= 10) {
    const double a = m * scale;
    const double b = a + scale - 1;
    if (negative ? overlaps(-b, -a) : overlaps(a, b)) return true;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string_view text, std::span<const ToolCallSpec> tools, std::string_view close_tag)
      : s_(text), tools_(tools), close_tag_(close_tag) {}

  Step call() {
    Step r;
    if ((r = ws()) != Step::kOk || (r = literal("{")) != Step::kOk || (r = ws()) != Step::kOk ||
        (r = literal("\"name\"")) != Step::kOk || (r = colon()) != Step::kOk)
      return r;
    std::vector<std::string_view> names;
    for (const ToolCallSpec& t : tools_) names.push_back(t.name);
    std::string name;
    if ((r = choice(names, name)) != Step::kOk) return r;
    const ToolCallSpec* tool = nullptr;
    for (const ToolCallSpec& t : tools_) {
      if (t.name == name) tool = &t;
    }
    if ((r = ws()) != Step::kOk || (r = literal(",")) != Step::kOk || (r = ws()) != Step::kOk ||
        (r = literal("\"arguments\"")) != Step::kOk || (r = colon()) != Step::kOk ||
        (r = arguments(*tool)) != Step::kOk || (r = ws()) != Step::kOk ||
        (r = literal("}")) != Step::kOk || (r = ws()) != Step::kOk || (r = literal(close_tag_)) != Step::kOk)
      return r;
    return Step::kOk;
  }

  size_t position() const { return i_; }

 private:
  bool end() const { return i_ >= s_.size(); }

  Step ws() {
    size_t n = 0;
    while (!end() && is_space(s_[i_])) {
      ++i_;
      if (++n > kMaxWhitespace) return Step::kBad;
    }
    return Step::kOk;
  }

  Step literal(std::string_view word) {
    for (char c : word) {
      if (end()) return Step::kMore;
      if (s_[i_] != c) return Step::kBad;
      ++i_;
    }
    return Step::kOk;
  }

  Step colon() {
    Step r;
    if ((r = ws()) != Step::kOk || (r = literal(":")) != Step::kOk) return r;
    return ws();
  }

  // A JSON string; its decoded value (so far) in `out`. Names, keys and enum values are written
  // plainly (`escapes` false): an escape there only gives the model a way to wander.
  Step string(std::string& out, bool escapes = true) {
    if (end()) return Step::kMore;
    if (s_[i_] != '"') return Step::kBad;
    ++i_;
    while (true) {
      if (end()) return Step::kMore;
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return Step::kOk;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Step::kBad;
      if (out.size() >= kMaxStringBytes) return Step::kBad;
      if (c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      if (!escapes) return Step::kBad;
      if (i_ + 1 >= s_.size()) {
        i_ = s_.size();
        return Step::kMore;
      }
      const char e = s_[i_ + 1];
      const std::string_view simple = "\"\\/bfnrt";
      const std::string_view meaning = "\"\\/\b\f\n\r\t";
      if (const size_t k = simple.find(e); k != std::string_view::npos) {
        out += meaning[k];
        i_ += 2;
        continue;
      }
      if (e != 'u') return Step::kBad;
      unsigned cp = 0;
      for (size_t k = 0; k < 4; ++k) {
        if (i_ + 2 + k >= s_.size()) {
          i_ = s_.size();
          return Step::kMore;
        }
        const char h = s_[i_ + 2 + k];
        if (!is_hex(h)) return Step::kBad;
        cp = cp * 16 + static_cast<unsigned>(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      append_utf8(cp, out);
      i_ += 6;
    }
  }

  // A string that must be one of `options` (a prefix of one while the input lasts).
  Step choice(const std::vector<std::string_view>& options, std::string& value) {
    const Step r = string(value, /*escapes=*/false);
    if (r == Step::kBad) return r;
    for (std::string_view option : options) {
      if (r == Step::kOk ? option == value : option.substr(0, value.size()) == value) return r;
    }
    return Step::kBad;
  }

  Step arguments(const ToolCallSpec& tool) {
    Step r;
    if ((r = literal("{")) != Step::kOk || (r = ws()) != Step::kOk) return r;
    std::vector<bool> given(tool.parameters.size(), false);
    auto all_required = [&] {
      for (size_t k = 0; k < given.size(); ++k) {
        if (tool.parameters[k].required && !given[k]) return false;
      }
      return true;
    };
    if (end()) return Step::kMore;
    if (s_[i_] == '}') {
      if (!all_required()) return Step::kBad;
      ++i_;
      return Step::kOk;
    }
    while (true) {
      std::vector<std::string_view> keys;
      for (size_t k = 0; k < given.size(); ++k) {
        if (!given[k]) keys.push_back(tool.parameters[k].name);
      }
      std::string key;
      if ((r = choice(keys, key)) != Step::kOk) return r;
      size_t index = 0;
      while (tool.parameters[index].name != key || given[index]) ++index;
      given[index] = true;
      if ((r = colon()) != Step::kOk || (r = value(tool.parameters[index])) != Step::kOk ||
          (r = ws()) != Step::kOk)
        return r;
      if (end()) return Step::kMore;
      if (s_[i_] == '}') {
        if (!all_required()) return Step::kBad;
        ++i_;
        return Step::kOk;
      }
      if (s_[i_] != ',' || std::find(given.begin(), given.end(), false) == given.end()) return Step::kBad;
      ++i_;
      if ((r = ws()) != Step::kOk) return r;
    }
  }

  Step value(const ToolCallParameter& p) {
    using Type = ToolCallParameter::Type;
    switch (p.type) {
      case Type::kString: {
        std::string text;
        if (p.allowed.empty()) return string(text);
        std::vector<std::string_view> options(p.allowed.begin(), p.allowed.end());
        return choice(options, text);
      }
      case Type::kInteger:
      case Type::kNumber:
        return number(&p);
      case Type::kBoolean:
        if (end()) return Step::kMore;
        return literal(s_[i_] == 't' ? "true" : "false");
      case Type::kAny:
        break;
    }
    return any(0);
  }

  // A JSON number; for a parameter, its type (integer) and range are enforced.
  Step number(const ToolCallParameter* p) {
    const size_t start = i_;
    const bool integer = p != nullptr && p->type == ToolCallParameter::Type::kInteger;
    const bool negative = !end() && s_[i_] == '-';
    if (negative) ++i_;
    const size_t digits_start = i_;
    if (end()) return p == nullptr || integer_prefix_viable({}, negative, *p) ? Step::kMore : Step::kBad;
    if (!is_digit(s_[i_])) return Step::kBad;
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (!end() && is_digit(s_[i_])) ++i_;
    }
    const std::string_view digits = s_.substr(digits_start, i_ - digits_start);
    if (digits.size() > kMaxDigits) return Step::kBad;
    if (integer && end())
      return integer_prefix_viable(digits, negative, *p) ? Step::kMore : Step::kBad;
    if (!integer) {
      if (!end() && s_[i_] == '.') {
        ++i_;
        if (end()) return Step::kMore;
        if (!is_digit(s_[i_])) return Step::kBad;
        while (!end() && is_digit(s_[i_])) ++i_;
      }
      if (!end() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
        if (!end() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        if (end()) return Step::kMore;
        if (!is_digit(s_[i_])) return Step::kBad;
        while (!end() && is_digit(s_[i_])) ++i_;
      }
      if (end()) return Step::kMore;  // more digits may follow; the range is checked at the end
    }
    if (p == nullptr) return Step::kOk;
    const double v = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    if ((p->minimum && v < *p->minimum) || (p->maximum && v > *p->maximum)) return Step::kBad;
    return Step::kOk;
  }

  // Any JSON value (parameters of other types).
  Step any(int depth) {
    if (depth > kMaxDepth) return Step::kBad;
    if (end()) return Step::kMore;
    Step r;
    switch (s_[i_]) {
      case '"': {
        std::string text;
        return string(text);
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      case '[':
      case '{': {
        const bool object = s_[i_] == '{';
        const char close = object ? '}' : ']';
        ++i_;
        if ((r = ws()) != Step::kOk) return r;
        if (end()) return Step::kMore;
        if (s_[i_] == close) {
          ++i_;
          return Step::kOk;
        }
        while (true) {
          if (object) {
            std::string key;
            if ((r = string(key)) != Step::kOk || (r = colon()) != Step::kOk) return r;
          }
          if ((r = any(depth + 1)) != Step::kOk || (r = ws()) != Step::kOk) return r;
          if (end()) return Step::kMore;
          if (s_[i_] == close) {
            ++i_;
            return Step::kOk;
          }
          if (s_[i_] != ',') return Step::kBad;
          ++i_;
          if ((r = ws()) != Step::kOk) return r;
        }
      }
      default:
        return number(nullptr);
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::span<const ToolCallSpec> tools_;
  std::string_view close_tag_;
};

}  // namespace

ToolCallCheck check_tool_call(std::string_view text, std::span<const ToolCallSpec> tools,
                              std::string_view close_tag) {
  Parser parser(text, tools, close_tag);
  switch (parser.call()) {
    case Step::kOk:
      return {ToolCallMatch::kComplete, parser.position()};
    case Step::kMore:
      return {ToolCallMatch::kPartial, 0};
    case Step::kBad:
      break;
  }
  return {ToolCallMatch::kInvalid, 0};
}

ToolCallConstraint::ToolCallConstraint(const Tokenizer& tokenizer, std::vector<ToolCallSpec> tools,
                                       std::string open_tag, std::string close_tag)
    : tools_(std::move(tools)), open_tag_(std::move(open_tag)), close_tag_(std::move(close_tag)) {
  if (tools_.empty()) throw Error("tool-call grammar: no tools");
  if (open_tag_.empty() || close_tag_.empty()) throw Error("tool-call grammar: empty tag");
  std::set<std::string_view> names;
  for (const ToolCallSpec& t : tools_) {
    if (t.name.empty()) throw Error("tool-call grammar: a tool has no name");
    if (!names.insert(t.name).second) throw Error("tool-call grammar: tool \"" + t.name + "\" given twice");
    std::set<std::string_view> keys;
    for (const ToolCallParameter& p : t.parameters) {
      if (!keys.insert(p.name).second)
        throw Error("tool-call grammar: tool \"" + t.name + "\" has parameter \"" + p.name + "\" twice");
    }
  }
  const int32_t n = tokenizer.vocab_size();
  pieces_.resize(static_cast<size_t>(n));
  end_of_generation_.resize(static_cast<size_t>(n));
  for (TokenId id = 0; id < n; ++id) {
    pieces_[static_cast<size_t>(id)] = tokenizer.token_to_piece(id, /*render_special=*/true);
    end_of_generation_[static_cast<size_t>(id)] = tokenizer.is_end_of_generation(id) ? 1 : 0;
  }
}

void ToolCallConstraint::reset() {
  inside_ = false;
  tail_.clear();
  body_.clear();
}

bool ToolCallConstraint::allows(TokenId token) const {
  if (token < 0 || static_cast<size_t>(token) >= pieces_.size()) return false;
  const std::string& piece = pieces_[static_cast<size_t>(token)];
  if (!inside_) {
    // Allowed unless it opens a call and goes on with something no call starts with.
    const std::string joined = tail_ + piece;
    const size_t at = joined.find(open_tag_);
    if (at == std::string::npos) return true;
    return check_tool_call(std::string_view(joined).substr(at + open_tag_.size()), tools_, close_tag_).match !=
           ToolCallMatch::kInvalid;
  }
  if (end_of_generation_[static_cast<size_t>(token)] || piece.empty()) return false;
  return check_tool_call(body_ + piece, tools_, close_tag_).match != ToolCallMatch::kInvalid;
}

void ToolCallConstraint::accept(TokenId token) {
  if (token < 0 || static_cast<size_t>(token) >= pieces_.size()) return;
  consume(pieces_[static_cast<size_t>(token)]);
}

void ToolCallConstraint::consume(std::string_view piece) {
  std::string text(piece);
  while (!text.empty()) {
    if (!inside_) {
      tail_ += text;
      text.clear();
      const size_t at = tail_.find(open_tag_);
      if (at == std::string::npos) {
        // Keep only what may still become the opening tag.
        if (tail_.size() >= open_tag_.size()) tail_.erase(0, tail_.size() - (open_tag_.size() - 1));
        return;
      }
      inside_ = true;
      body_ = tail_.substr(at + open_tag_.size());
      tail_.clear();
    } else {
      body_ += text;
      text.clear();
    }
    const ToolCallCheck check = check_tool_call(body_, tools_, close_tag_);
    if (check.match == ToolCallMatch::kPartial) return;
    // Closed (what follows is outside text again and may open another call), or broken by a
    // token the constraint did not allow (the sampler found none allowed): this call is over.
    if (check.match == ToolCallMatch::kComplete) text = body_.substr(check.end);
    inside_ = false;
    body_.clear();
  }
}

}  // namespace parley::llm
