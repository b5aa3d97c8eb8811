#include "llm/tool_call_grammar.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <nlohmann/json.hpp>

#include "kernels/error.h"
#include "llm/unicode.h"

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

// A character of a word for copy_from_request: letters, digits, apostrophes, any non-ASCII byte.
bool is_word_byte(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b >= 0x80 || is_digit(c) || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') || c == '\'';
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

}  // namespace

RequestQuotes::RequestQuotes(std::string request) : text_(std::move(request)) {
  std::vector<std::pair<uint32_t, uint32_t>> words;
  size_t i = 0;
  while (i < text_.size()) {
    while (i < text_.size() && !is_word_byte(text_[i])) ++i;
    if (i == text_.size()) break;
    const size_t start = i;
    while (i < text_.size() && is_word_byte(text_[i])) ++i;
    words.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(i));
  }
  if (words.size() > kMaxWords) words.erase(words.begin(), words.end() - kMaxWords);
  words_ = std::move(words);
}

bool RequestQuotes::quotes_from(size_t k, std::string_view value, size_t at, bool complete) const {
  const std::string_view text = text_;
  const std::string_view word = text.substr(words_[k].first, words_[k].second - words_[k].first);
  for (char c : word) {
    if (at == value.size()) return !complete;
    if (lower(value[at]) != lower(c)) return false;
    ++at;
  }
  if (at == value.size()) return true;  // at a word end
  if (k + 1 == words_.size()) return false;
  const std::string_view own = text.substr(words_[k].second, words_[k + 1].first - words_[k].second);
  const std::string_view rest = value.substr(at);
  const std::string_view separators[2] = {" ", own};
  for (size_t o = 0; o < (own == " " ? 1u : 2u); ++o) {  // the same one is tried once
    const std::string_view separator = separators[o];
    if (rest.size() < separator.size()) {
      if (!complete && separator.substr(0, rest.size()) == rest) return true;
    } else if (rest.substr(0, separator.size()) == separator &&
               quotes_from(k + 1, value, at + separator.size(), complete)) {
      return true;
    }
  }
  return false;
}

bool RequestQuotes::quotes(std::string_view value, bool complete) const {
  if (value.empty()) return !complete;
  for (size_t k = 0; k < words_.size(); ++k) {
    if (lower(text_[words_[k].first]) == lower(value[0]) && quotes_from(k, value, 0, complete)) return true;
  }
  return false;
}

namespace {

// Is there an integer in [minimum, maximum] whose decimal digits start with `digits` (with the
// sign `negative`)? `digits` may be empty (only the sign so far).
bool integer_prefix_viable(std::string_view digits, bool negative, const ToolCallParameter& p) {
  const double lo = p.minimum.value_or(-1e300);
  const double hi = p.maximum.value_or(1e300);
  auto overlaps = [&](double a, double b) { return a <= hi && b >= lo; };  // [a, b] ∩ [lo, hi]
  if (digits.empty()) return !negative || lo <= -1;
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
  Parser(std::string_view text, std::span<const ToolCallSpec> tools, std::string_view close_tag,
         const RequestQuotes* request)
      : s_(text), tools_(tools), close_tag_(close_tag), request_(request) {}

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
        const Step r = utf8_char(out);
        if (r != Step::kOk) return r;
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
      unsigned cp = 0;
      Step r = hex_escape(i_, cp);
      if (r != Step::kOk) return r;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return Step::kBad;  // a low surrogate alone
      if (cp >= 0xD800 && cp <= 0xDBFF) {                   // must be followed by a low one
        unsigned low = 0;
        if ((r = hex_escape(i_ + 6, low)) != Step::kOk) return r;
        if (low < 0xDC00 || low > 0xDFFF) return Step::kBad;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i_ += 6;
      }
      unicode::append_utf8(cp, out);
      i_ += 6;
    }
  }

  // "\uXXXX" at `at`; kMore (the input consumed) when it ends before the escape does.
  Step hex_escape(size_t at, unsigned& cp) {
    for (size_t k = 0; k < 6; ++k) {
      if (at + k >= s_.size()) {
        i_ = s_.size();
        return Step::kMore;
      }
      const char h = s_[at + k];
      if (k == 0 ? h != '\\' : k == 1 ? h != 'u' : !is_hex(h)) return Step::kBad;
      if (k >= 2) cp = cp * 16 + static_cast<unsigned>(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    return Step::kOk;
  }

  // One UTF-8 character at i_ (well-formed: no overlong forms, surrogates or code points past
  // U+10FFFF), appended to `out`. A JSON parser refuses anything else.
  Step utf8_char(std::string& out) {
    const auto b0 = static_cast<unsigned char>(s_[i_]);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (b0 < 0x80) {
      n = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return Step::kBad;
    }
    for (size_t k = 1; k < n; ++k) {
      if (i_ + k >= s_.size()) {  // cut short: its bytes so far still count for a prefix match
        out.append(s_.substr(i_));
        i_ = s_.size();
        return Step::kMore;
      }
      const auto b = static_cast<unsigned char>(s_[i_ + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return Step::kBad;
    }
    out.append(s_.substr(i_, n));
    i_ += n;
    return Step::kOk;
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
    if (tool.free_arguments) {
      if (end()) return Step::kMore;
      return s_[i_] == '{' ? any(1) : Step::kBad;
    }
    if ((r = literal("{")) != Step::kOk || (r = ws()) != Step::kOk) return r;
    std::vector<bool> given(tool.parameters.size(), false);
    // `}` ends the arguments once every required one is given.
    auto close = [&] {
      for (size_t k = 0; k < given.size(); ++k) {
        if (tool.parameters[k].required && !given[k]) return Step::kBad;
      }
      ++i_;
      return Step::kOk;
    };
    if (end()) return Step::kMore;
    if (s_[i_] == '}') return close();
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
      if (s_[i_] == '}') return close();
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
        if (p.allowed.empty()) {
          const Step r = string(text);
          if (r == Step::kBad || !p.copy_from_request || request_ == nullptr || request_->empty()) return r;
          return request_->quotes(text, r == Step::kOk) ? r : Step::kBad;
        }
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
    // A number's range is checked when it ends ("-" may still become "-0.5" or "0"); an
    // integer's while it grows.
    if (end()) return !integer || integer_prefix_viable({}, negative, *p) ? Step::kMore : Step::kBad;
    if (!is_digit(s_[i_])) return Step::kBad;
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (!end() && is_digit(s_[i_])) ++i_;
    }
    const std::string_view digits = s_.substr(digits_start, i_ - digits_start);
    if (digits.size() > kMaxDigits) return Step::kBad;
    if (integer && negative && digits == "0") return Step::kBad;  // no "-0" for an integer
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
        const size_t exponent_start = i_;
        while (!end() && is_digit(s_[i_])) ++i_;
        if (i_ - exponent_start > 3) return Step::kBad;
      }
      if (end()) return Step::kMore;  // more digits may follow; the value is checked at the end
    }
    // A JSON parser refuses a number a double cannot hold (nlohmann: "number overflow").
    const double v = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    if (!std::isfinite(v)) return Step::kBad;
    if (p != nullptr && ((p->minimum && v < *p->minimum) || (p->maximum && v > *p->maximum))) return Step::kBad;
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
  const RequestQuotes* request_;
};

}  // namespace

std::vector<ToolCallSpec> tool_call_specs_from_json(const nlohmann::json& tools, const std::string& source) {
  using nlohmann::json;
  using Type = ToolCallParameter::Type;
  auto fail = [&](const std::string& field, const std::string& why) {
    throw Error(source + ": " + field + " " + why);
  };
  if (!tools.is_array()) fail("tools", "must be an array");
  std::vector<ToolCallSpec> specs;
  std::set<std::string> names;
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string at = "tools[" + std::to_string(i) + "]";
    const json& entry = tools[i];
    if (!entry.is_object()) fail(at, "must be an object");
    const bool wrapped = entry.contains("function");
    const json& tool = wrapped ? entry["function"] : entry;
    const std::string field = wrapped ? at + ".function" : at;
    if (!tool.is_object()) fail(field, "must be an object");
    if (!tool.contains("name") || !tool["name"].is_string() || tool["name"].get<std::string>().empty())
      fail(field + ".name", "must be a non-empty string");
    ToolCallSpec spec;
    spec.name = tool["name"].get<std::string>();
    if (!names.insert(spec.name).second) continue;
    const json parameters = tool.value("parameters", json::object());
    if (!parameters.is_object()) fail(field + ".parameters", "must be an object");
    const json required = parameters.value("required", json::array());
    if (!required.is_array()) fail(field + ".parameters.required", "must be an array");
    if (!parameters.contains("properties")) {
      // additionalProperties: false closes the object; true or a schema (an object) leaves it open.
      const auto extra = parameters.find("additionalProperties");
      spec.free_arguments = !required.empty() || extra == parameters.end() || *extra != false;
      specs.push_back(std::move(spec));
      continue;
    }
    const json& properties = parameters["properties"];
    if (!properties.is_object()) fail(field + ".parameters.properties", "must be an object");
    for (const auto& [name, schema] : properties.items()) {
      ToolCallParameter& p = spec.parameters.emplace_back();
      p.name = name;
      if (!schema.is_object()) continue;  // any value
      const std::string type = schema.contains("type") && schema["type"].is_string() ? schema["type"].get<std::string>() : "";
      p.type = type == "string"    ? Type::kString
               : type == "integer" ? Type::kInteger
               : type == "number"  ? Type::kNumber
               : type == "boolean" ? Type::kBoolean
                                   : Type::kAny;
      if ((p.type == Type::kInteger || p.type == Type::kNumber)) {
        if (schema.contains("minimum") && schema["minimum"].is_number()) p.minimum = schema["minimum"].get<double>();
        if (schema.contains("maximum") && schema["maximum"].is_number()) p.maximum = schema["maximum"].get<double>();
      }
      if (p.type == Type::kString && schema.contains("enum") && schema["enum"].is_array() && !schema["enum"].empty()) {
        const json& values = schema["enum"];
        if (std::all_of(values.begin(), values.end(), [](const json& v) { return v.is_string(); })) {
          for (const json& v : values) p.allowed.push_back(v.get<std::string>());
        }
      }
      if (p.type == Type::kString && p.allowed.empty()) {
        const auto copy = schema.find("x-copy-from-request");
        p.copy_from_request = copy != schema.end() && *copy == true;
      }
      for (const json& r : required) {
        if (r.is_string() && r.get<std::string>() == name) p.required = true;
      }
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

ToolCallCheck check_tool_call(std::string_view text, std::span<const ToolCallSpec> tools,
                              std::string_view close_tag, const RequestQuotes* request) {
  Parser parser(text, tools, close_tag, request);
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
  special_.resize(static_cast<size_t>(n));
  const bool prefixed = tokenizer.prefixes_text();
  for (TokenId id = 0; id < n; ++id) {
    pieces_[static_cast<size_t>(id)] = tokenizer.token_to_piece(id, /*render_special=*/true);
    end_of_generation_[static_cast<size_t>(id)] = tokenizer.is_end_of_generation(id) ? 1 : 0;
    special_[static_cast<size_t>(id)] = prefixed && tokenizer.is_special(id) ? 1 : 0;
  }
}

namespace {
std::string concat(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a).append(b);
  return out;
}
}  // namespace

std::string_view ToolCallConstraint::text_of(TokenId token) const {
  std::string_view piece = pieces_[static_cast<size_t>(token)];
  if (after_special_ && !special_[static_cast<size_t>(token)] && !piece.empty() && piece[0] == ' ')
    piece.remove_prefix(1);
  return piece;
}

void ToolCallConstraint::set_request(std::string_view request) {
  request_ = RequestQuotes(std::string(request));
  first_byte_.fill(kUnknown);
}

void ToolCallConstraint::reset() {
  first_byte_.fill(kUnknown);
  after_special_ = false;
  inside_ = false;
  opened_ = false;
  lead_.clear();
  tail_.clear();
  body_.clear();
}

bool ToolCallConstraint::allows(TokenId token) const {
  if (token < 0 || static_cast<size_t>(token) >= pieces_.size()) return false;
  const bool no_text = pieces_[static_cast<size_t>(token)].empty();
  const std::string_view piece = text_of(token);
  if (required_ && !opened_) {
    // Whitespace, then the opening tag, then a call.
    if (end_of_generation_[static_cast<size_t>(token)] || no_text) return false;
    const std::string joined = concat(lead_, piece);
    size_t n = 0;
    while (n < joined.size() && is_space(joined[n])) ++n;
    if (n > kMaxWhitespace) return false;
    const std::string_view rest = std::string_view(joined).substr(n);
    if (rest.size() <= open_tag_.size()) return open_tag_.compare(0, rest.size(), rest) == 0;
    if (rest.substr(0, open_tag_.size()) != open_tag_) return false;
    return check_tool_call(rest.substr(open_tag_.size()), tools_, close_tag_, &request_).match != ToolCallMatch::kInvalid;
  }
  if (!inside_) {
    // Allowed unless it opens a call and goes on with something no call starts with.
    const std::string joined = concat(tail_, piece);
    const size_t at = joined.find(open_tag_);
    if (at == std::string::npos) return true;
    return check_tool_call(std::string_view(joined).substr(at + open_tag_.size()), tools_, close_tag_, &request_).match !=
           ToolCallMatch::kInvalid;
  }
  if (end_of_generation_[static_cast<size_t>(token)] || no_text) return false;
  if (piece.empty()) return true;  // only the space prefix after a special token: no change
  // The piece's first byte alone rules most tokens out at the call's structural points (every
  // prefix of a viable text is viable), so a sampler testing the whole vocabulary parses once
  // per distinct first byte, and fully only the tokens that pass.
  uint8_t& first = first_byte_[static_cast<unsigned char>(piece[0])];
  if (first == kUnknown) {
    const std::string with_byte = body_ + piece[0];
    first = check_tool_call(with_byte, tools_, close_tag_, &request_).match != ToolCallMatch::kInvalid ? kViable : kRefused;
  }
  if (first == kRefused) return false;
  if (piece.size() == 1) return true;
  return check_tool_call(concat(body_, piece), tools_, close_tag_, &request_).match != ToolCallMatch::kInvalid;
}

void ToolCallConstraint::accept(TokenId token) {
  if (token < 0 || static_cast<size_t>(token) >= pieces_.size()) return;
  const std::string_view piece = text_of(token);
  after_special_ = special_[static_cast<size_t>(token)] != 0;
  if (required_ && !opened_) lead_ += piece;
  consume(piece);
}

void ToolCallConstraint::consume(std::string_view piece) {
  first_byte_.fill(kUnknown);
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
      opened_ = true;
      lead_.clear();
      body_ = tail_.substr(at + open_tag_.size());
      tail_.clear();
    } else {
      body_ += text;
      text.clear();
    }
    const ToolCallCheck check = check_tool_call(body_, tools_, close_tag_, &request_);
    if (check.match == ToolCallMatch::kPartial) return;
    // Closed (what follows is outside text again and may open another call), or broken by a
    // token the constraint did not allow (the sampler found none allowed): this call is over.
    if (check.match == ToolCallMatch::kComplete) text = body_.substr(check.end);
    inside_ = false;
    body_.clear();
  }
}

}  // namespace parley::llm
