// The tool-call grammar's prefix checker (llm/tool_call_grammar.h) on arbitrary call text, with a
// fixed tool list covering every parameter kind. Checks the contract constrained decoding relies
// on: it never throws; every prefix of a text that is not invalid is partial (so greedy decoding
// under the grammar can always reach a complete call); and a complete call is JSON whose name is
// a listed tool and whose arguments are that tool's parameters, each of its type and range, with
// every required one present; a copy_from_request value (set_timer.tag) quotes the fixed request:
// lower-cased, with every run of other characters read as one space, it is a run of the
// request's whole words so read.
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/tool_call_grammar.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using parley::llm::ToolCallMatch;
using parley::llm::ToolCallParameter;
using parley::llm::ToolCallSpec;
using Type = ToolCallParameter::Type;

const std::vector<ToolCallSpec>& tools() {
  static const std::vector<ToolCallSpec> specs = parley::llm::tool_call_specs_from_json(nlohmann::json::parse(R"([
    {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    {"name": "set_timer", "parameters": {"type": "object", "properties": {
       "duration": {"type": "string"}, "label": {"type": "string"},
       "tag": {"type": "string", "x-copy-from-request": true}}, "required": ["duration"]}},
    {"name": "set_volume", "parameters": {"type": "object", "properties": {
       "level": {"type": "integer", "minimum": 0, "maximum": 100}}, "required": ["level"]}},
    {"name": "change_volume", "parameters": {"type": "object", "properties": {
       "delta": {"type": "integer", "minimum": -100, "maximum": 100}}, "required": ["delta"]}},
    {"type": "function", "function": {"name": "set_mode", "parameters": {"type": "object", "properties": {
       "mode": {"type": "string", "enum": ["eco", "boost"]}, "quiet": {"type": "boolean"},
       "ratio": {"type": "number", "minimum": 0, "maximum": 1}, "extra": {}}, "required": ["mode"]}}},
    {"type": "function", "function": {"name": "ping"}}
  ])"), "fuzz tools");
  return specs;
}

constexpr std::string_view kRequest = "Set the Wake-up, STRUM timer (café) for 5 minutes... please!";

const parley::llm::RequestQuotes& request() {
  static const parley::llm::RequestQuotes quotes{std::string(kRequest)};
  return quotes;
}

// Lower-case ASCII; every run of bytes other than letters, digits, apostrophes and non-ASCII
// bytes one space.
std::string words_of(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80 || std::isalnum(b) || c == '\'') {
      out += static_cast<char>(std::tolower(b));
    } else if (out.empty() || out.back() != ' ') {
      out += ' ';
    }
  }
  return out;
}

bool is_quote(const std::string& value) {
  const std::string words = words_of(value);
  if (words.empty() || words.front() == ' ' || words.back() == ' ') return false;
  const std::string source = " " + words_of(kRequest) + " ";
  return source.find(" " + words + " ") != std::string::npos;
}

bool value_fits(const nlohmann::json& v, const ToolCallParameter& p) {
  switch (p.type) {
    case Type::kString:
      return v.is_string() &&
             (p.allowed.empty() || std::find(p.allowed.begin(), p.allowed.end(), v.get<std::string>()) != p.allowed.end()) &&
             (!p.copy_from_request || is_quote(v.get<std::string>()));
    case Type::kInteger:
    case Type::kNumber: {
      if (p.type == Type::kInteger ? !v.is_number_integer() : !v.is_number()) return false;
      const double x = v.get<double>();
      return (!p.minimum || x >= *p.minimum) && (!p.maximum || x <= *p.maximum);
    }
    case Type::kBoolean:
      return v.is_boolean();
    case Type::kAny:
      return true;
  }
  return false;
}

}  // namespace

PARLEY_FUZZ_TARGET(tool_call_grammar) {
  const std::string_view text = parley::fuzz::as_text(data, size);
  constexpr std::string_view kClose = "</tool_call>";
  const parley::llm::ToolCallCheck check = parley::llm::check_tool_call(text, tools(), kClose, &request());
  if (check.match == ToolCallMatch::kInvalid) return 0;
  const size_t end = check.match == ToolCallMatch::kComplete ? check.end : text.size();
  if (end > text.size()) __builtin_trap();
  // Prefixes (a few cut points, each from the input) stay partial.
  for (size_t k : {size_t{0}, end / 2, end > 0 ? end - 1 : 0, (size > 0 ? data[0] : 0) % (end + 1)}) {
    if (k < end && parley::llm::check_tool_call(text.substr(0, k), tools(), kClose, &request()).match != ToolCallMatch::kPartial)
      __builtin_trap();
  }
  if (check.match != ToolCallMatch::kComplete) return 0;
  // A complete call is a valid call.
  const std::string_view body = text.substr(0, end - kClose.size());
  if (text.substr(end - kClose.size(), kClose.size()) != kClose) __builtin_trap();
  const nlohmann::json call = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!call.is_object() || !call.contains("name") || !call["name"].is_string() || !call.contains("arguments"))
    __builtin_trap();
  const ToolCallSpec* tool = nullptr;
  for (const ToolCallSpec& t : tools()) {
    if (t.name == call["name"].get<std::string>()) tool = &t;
  }
  const nlohmann::json& arguments = call["arguments"];
  if (tool == nullptr || !arguments.is_object()) __builtin_trap();
  if (tool->free_arguments) return 0;
  for (const auto& [key, value] : arguments.items()) {
    const ToolCallParameter* p = nullptr;
    for (const ToolCallParameter& q : tool->parameters) {
      if (q.name == key) p = &q;
    }
    if (p == nullptr || !value_fits(value, *p)) __builtin_trap();
  }
  for (const ToolCallParameter& p : tool->parameters) {
    if (p.required && !arguments.contains(p.name)) __builtin_trap();
  }
  return 0;
}
