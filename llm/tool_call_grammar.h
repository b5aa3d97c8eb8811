// Tool-call grammar: constrained decoding of `<tool_call>{"name": …, "arguments": {…}}</tool_call>`.
//
// A small model often knows *which* tool to call but slips on the JSON: a key cut short
// (`{"name": "set_timer", "arguments": {".`), an empty key (`{"\"}`), a tool that does not
// exist, an argument of the wrong type, prose in the middle of the call. Once the model has
// opened a call, ToolCallConstraint lets through only tokens that keep the text a prefix of a
// valid call to one of the given tools (as llama.cpp's lazy grammars and JSON-schema
// constrained decoding do); outside a call it allows everything. Greedy decoding then takes
// the most likely *valid* token, so a call the model meant always parses and always names a
// known tool with known argument names, types, enums and ranges. What the model says (which
// tool, which values) stays its own choice.
//
// Grammar of the text after the opening tag (whitespace runs of at most 8 characters allowed
// between the tokens shown):
//   { "name" : NAME , "arguments" : { (KEY : VALUE (, KEY : VALUE)*)? } } </tool_call>
// NAME is one of the tools; KEY one of that tool's parameters not given yet; `}` closes the
// arguments only when every required parameter is present. VALUE by the parameter's type:
// string (JSON string, enum if given, ≤ 512 bytes), integer (no fraction or exponent; a prefix
// is allowed only while some continuation lies within minimum/maximum), number, boolean, or
// any JSON value (nesting ≤ 8) for other types. A string parameter marked copy_from_request
// (a schema's `"x-copy-from-request": true`) must quote the user's request (set_request): a
// run of its whole words (runs of letters, digits, apostrophes and non-ASCII bytes), compared
// without case, joined by one space or by the separator the request has there — "Strum",
// "wake-up" and "wake up" all quote "… the wake-up Strum timer"; "wake  up", " strum" and
// "stru" do not. A small model knows *that* a label was named long before it can spell an
// unseen one; this keeps it to the words it heard. With no request set, a plain string.
// Strings are well-formed UTF-8 (surrogate
// escapes in pairs) and numbers fit a double (≤ 15 integer digits, exponent ≤ 3 digits): what
// the grammar completes, a JSON parser reads (tests/fuzz/fuzz_tool_call_grammar.cc checks it).
//
//   std::vector<llm::ToolCallSpec> tools = …;   // assistant: tool_call_specs(registry)
//   llm::ToolCallConstraint constraint(model.tokenizer(), tools);
//   sampler.set_constraint(&constraint);
//   constraint.reset();                           // at the start of every reply
//   … token = sampler.sample(logits); sampler.accept(token); …
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "llm/sampler.h"
#include "llm/tokenizer.h"

namespace parley::llm {

struct ToolCallParameter {
  enum class Type : uint8_t { kString, kInteger, kNumber, kBoolean, kAny };
  std::string name;
  Type type = Type::kAny;
  bool required = false;
  std::optional<double> minimum;       // integer, number
  std::optional<double> maximum;       // integer, number
  std::vector<std::string> allowed;    // string enum (decoded values); empty: any string
  bool copy_from_request = false;      // string: whole words of the request (see above)
};

struct ToolCallSpec {
  std::string name;
  std::vector<ToolCallParameter> parameters;
  bool free_arguments = false;  // a schema without "properties": any JSON object
};

// Tools as JSON: an array of {"name", "parameters"} (Parley's tools.json) or of OpenAI's
// {"type": "function", "function": {"name", "parameters"}}. Of "parameters" (JSON Schema) it
// reads "properties" (per property "type" string | integer | number | boolean, anything else
// any value; a string "enum"; "minimum" / "maximum"; Parley's "x-copy-from-request") and
// "required". Lenient where the schema is
// richer than the grammar: unknown keywords are ignored; a repeated tool name keeps the first.
// Throws parley::Error naming `source` and the field for what is not a tool list (not an array,
// a tool without a name, properties or required of the wrong type).
std::vector<ToolCallSpec> tool_call_specs_from_json(const nlohmann::json& tools, const std::string& source);

enum class ToolCallMatch : uint8_t {
  kInvalid,   // no continuation makes this a valid call
  kPartial,   // a valid call may still follow
  kComplete,  // a whole call, ending with the closing tag at `end`
};

struct ToolCallCheck {
  ToolCallMatch match = ToolCallMatch::kInvalid;
  size_t end = 0;  // kComplete: the length of the call text, closing tag included
};

// What copy_from_request values may quote: the words of a request (its last kMaxWords).
class RequestQuotes {
 public:
  static constexpr size_t kMaxWords = 256;
  RequestQuotes() = default;
  explicit RequestQuotes(std::string request);
  bool empty() const { return words_.empty(); }
  // Is `value` (a decoded string value) a quote — or, while not complete, the start of one?
  bool quotes(std::string_view value, bool complete) const;

 private:
  bool quotes_from(size_t word, std::string_view value, size_t at, bool complete) const;
  std::string text_;
  std::vector<std::pair<uint32_t, uint32_t>> words_;  // [begin, end) in text_
};

// Checks `text`, what follows the opening tag, against the grammar above; `request`: what
// copy_from_request values quote (nullptr or empty: not enforced). Text after a complete call is
// not looked at.
ToolCallCheck check_tool_call(std::string_view text, std::span<const ToolCallSpec> tools,
                              std::string_view close_tag = "</tool_call>", const RequestQuotes* request = nullptr);

class ToolCallConstraint final : public TokenConstraint {
 public:
  // Throws parley::Error for an empty tool list, a tool without a name, or a repeated name.
  ToolCallConstraint(const Tokenizer& tokenizer, std::vector<ToolCallSpec> tools,
                     std::string open_tag = "<tool_call>", std::string close_tag = "</tool_call>");

  bool allows(TokenId token) const override;
  void accept(TokenId token) override;
  void reset() override;
  bool inside_call() const { return inside_; }
  // Every reply must start with a call (after at most 8 whitespace characters), as OpenAI's
  // tool_choice "required" (and, with one tool, a named tool_choice) asks. After the first call
  // the reply is free again. Kept across reset().
  void set_required(bool required) { required_ = required; }
  // The user's request that copy_from_request values quote (the last user message); kept across
  // reset(), so the replies after a tool result quote the same request. Empty: not enforced.
  void set_request(std::string_view request);

 private:
  void consume(std::string_view piece);
  // The text `token` adds here: its piece, less the space prefix the tokenizer puts after a
  // special token (as TokenStreamDecoder drops it).
  std::string_view text_of(TokenId token) const;

  std::vector<ToolCallSpec> tools_;
  std::string open_tag_;
  std::string close_tag_;
  std::vector<std::string> pieces_;       // each token's text, special tokens rendered
  std::vector<uint8_t> end_of_generation_;
  std::vector<uint8_t> special_;          // CONTROL or USER_DEFINED (SentencePiece with prefix)
  bool after_special_ = false;            // the last accepted token was one of special_
  bool inside_ = false;
  bool required_ = false;
  bool opened_ = false;  // a call was opened in this reply
  std::string lead_;     // required_: the reply's text until it opens its first call
  std::string tail_;  // outside a call: the last bytes, which may be the start of the opening tag
  std::string body_;  // inside a call: the text since the opening tag
  RequestQuotes request_;  // what copy_from_request values quote
  // Inside a call: whether a piece starting with each byte may follow body_ (filled lazily).
  static constexpr uint8_t kUnknown = 0, kViable = 1, kRefused = 2;
  mutable std::array<uint8_t, 256> first_byte_{};
};

}  // namespace parley::llm
