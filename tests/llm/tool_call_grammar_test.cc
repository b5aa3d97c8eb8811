// Tool-call grammar: the prefix checker on hand-written texts (valid, partial, each way of being
// invalid), the constraint on a real vocabulary (the shipped default model's), and the Sampler
// taking the best allowed token.
#include "llm/tool_call_grammar.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/error.h"
#include "llm/gguf.h"
#include "llm/sampler.h"
#include "llm/tokenizer.h"

namespace parley::llm {
namespace {

using Type = ToolCallParameter::Type;

ToolCallParameter param(std::string name, Type type, bool required = false,
                        std::optional<double> minimum = {}, std::optional<double> maximum = {},
                        std::vector<std::string> allowed = {}) {
  ToolCallParameter p;
  p.name = std::move(name);
  p.type = type;
  p.required = required;
  p.minimum = minimum;
  p.maximum = maximum;
  p.allowed = std::move(allowed);
  return p;
}

std::vector<ToolCallSpec> appliance_tools() {
  return {
      {"get_time", {}},
      {"set_timer", {param("duration", Type::kString, true), param("label", Type::kString)}},
      {"cancel_timer", {param("id", Type::kInteger, false, 1), param("label", Type::kString)}},
      {"set_volume", {param("level", Type::kInteger, true, 0, 100)}},
      {"change_volume", {param("delta", Type::kInteger, true, -100, 100)}},
      {"set_mode",
       {param("mode", Type::kString, true, {}, {}, {"eco", "boost"}), param("quiet", Type::kBoolean),
        param("ratio", Type::kNumber, false, 0, 1), param("extra", Type::kAny)}},
  };
}

ToolCallMatch match(std::string_view text) { return check_tool_call(text, appliance_tools()).match; }

TEST(ToolCallGrammar, CompleteCallsOfEveryShape) {
  const std::string calls[] = {
      "\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>",
      "{\"name\":\"set_timer\",\"arguments\":{\"duration\":\"5 minutes\"}}</tool_call>",
      " {\"name\": \"set_timer\", \"arguments\": {\"label\": \"tea \\\"hot\\\" \\u00e9\", \"duration\": \"90 seconds\"}}\n</tool_call>",
      "{\"name\": \"cancel_timer\", \"arguments\": {}}</tool_call>",
      "{\"name\": \"change_volume\", \"arguments\": {\"delta\": -10}}</tool_call>",
      "{\"name\": \"set_volume\", \"arguments\": {\"level\": 0}}</tool_call>",
      "{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"eco\", \"quiet\": true, \"ratio\": 2.5e-1, "
      "\"extra\": {\"a\": [1, null, \"x\", {\"b\": false}]}}}</tool_call>",
  };
  for (const std::string& call : calls) {
    const ToolCallCheck check = check_tool_call(call, appliance_tools());
    EXPECT_EQ(check.match, ToolCallMatch::kComplete) << call;
    EXPECT_EQ(check.end, call.size()) << call;
    // Every prefix of a valid call is a partial call.
    for (size_t n = 0; n < call.size(); ++n)
      EXPECT_EQ(match(call.substr(0, n)), ToolCallMatch::kPartial) << call.substr(0, n);
  }
  // What follows the closing tag is not part of the call.
  const std::string then_text = "{\"name\": \"get_time\", \"arguments\": {}}</tool_call> It is noon.";
  EXPECT_EQ(check_tool_call(then_text, appliance_tools()).end, then_text.size() - 12);
}

TEST(ToolCallGrammar, RefusesWhatNoValidCallStartsWith) {
  const char* bad[] = {
      "x",                                                              // prose
      "{\"arguments\"",                                                 // name must come first
      "{\"name\": \"set_tim\"",                                         // no such tool
      "{\"name\": \"reboot",                                            // not a prefix of any tool
      "{\"name\": \"get_time\" \"",                                     // missing comma
      "{\"name\": \"set_timer\", \"arguments\": {\".",                  // the truncated key seen from the model
      "{\"name\": \"set_timer\", \"arguments\": {\"\"",                 // empty key
      "{\"name\": \"set_timer\", \"arguments\": {\"colour\"",           // unknown parameter
      "{\"name\": \"set_timer\", \"arguments\": {}",                    // required duration missing
      "{\"name\": \"set_timer\", \"arguments\": {\"label\": \"a\"}",    // still missing
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": 5",      // a number for a string
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"5\", \"duration\"",  // repeated key
      "{\"name\": \"set_volume\", \"arguments\": {\"level\": \"8",      // a string for an integer
      "{\"name\": \"set_volume\", \"arguments\": {\"level\": 101",      // out of range
      "{\"name\": \"set_volume\", \"arguments\": {\"level\": -",        // below the minimum
      "{\"name\": \"change_volume\", \"arguments\": {\"delta\": -0",    // negative zero
      "{\"name\": \"set_volume\", \"arguments\": {\"level\": 8.5",      // not an integer
      "{\"name\": \"set_volume\", \"arguments\": {\"level\": 08",       // leading zero
      "{\"name\": \"cancel_timer\", \"arguments\": {\"id\": 0}",        // below the minimum
      "{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"turbo\"",   // not in the enum
      "{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"eco\", \"quiet\": yes",
      "{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"eco\", \"ratio\": 1.5}",
      "{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"eco\", \"extra\": 6E400,",  // no double holds it
      "{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"eco\", \"extra\": 1e0001",   // exponent digits
      "{\"name\": \"get_time\", \"arguments\": {}}\n<|im_end|>",        // the end of the turn before the closing tag
      "{\"name\": \"get_time\", \"arguments\": {}} and",
      "{\"name\": \"get_time\",          \"arguments\"",                // a whitespace run longer than 8
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"a\nb\"",  // raw control character in a string
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"\\x\"",    // bad escape
      "{\"name\": \"set_timer\", \"arguments\": {\"\\u0064",                // an escape in a key
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"5\x88",    // a stray continuation byte
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"\xC0\xAF",  // an overlong form
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"\xED\xA0\x80",  // a surrogate
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"\\udc00",  // a lone low surrogate
      "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"\\ud800x",  // a high one not followed by a low
  };
  for (const char* text : bad) EXPECT_EQ(match(text), ToolCallMatch::kInvalid) << text;
  // Partial numbers are judged by whether some continuation fits the range.
  EXPECT_EQ(match("{\"name\": \"set_volume\", \"arguments\": {\"level\": 10"), ToolCallMatch::kPartial);   // 100
  EXPECT_EQ(match("{\"name\": \"set_volume\", \"arguments\": {\"level\": 11"), ToolCallMatch::kPartial);   // 11
  EXPECT_EQ(match("{\"name\": \"set_volume\", \"arguments\": {\"level\": 100"), ToolCallMatch::kPartial);
  EXPECT_EQ(match("{\"name\": \"set_volume\", \"arguments\": {\"level\": 1000"), ToolCallMatch::kInvalid);
  EXPECT_EQ(match("{\"name\": \"change_volume\", \"arguments\": {\"delta\": -"), ToolCallMatch::kPartial);
  // A number (not an integer) is range-checked when it ends.
  EXPECT_EQ(match("{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"eco\", \"ratio\": -4.5"), ToolCallMatch::kPartial);
  EXPECT_EQ(match("{\"name\": \"set_mode\", \"arguments\": {\"mode\": \"eco\", \"ratio\": -4.5}"), ToolCallMatch::kInvalid);
  EXPECT_EQ(match("{\"name\": \"change_volume\", \"arguments\": {\"delta\": -101"), ToolCallMatch::kInvalid);
  // A UTF-8 character or a surrogate pair cut by the end of the text is partial.
  EXPECT_EQ(match("{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"caf\xC3"), ToolCallMatch::kPartial);
  EXPECT_EQ(match("{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"\\ud83d\\ude"), ToolCallMatch::kPartial);
  EXPECT_EQ(match("{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"\xF0\x9F\x8D\x9D \\ud83c\\udf5d\"}}</tool_call>"),
            ToolCallMatch::kComplete);
  // A string value may be long, but not without bound.
  EXPECT_EQ(match("{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"" + std::string(600, 'a')),
            ToolCallMatch::kInvalid);
  // A free-form value may not nest without bound either.
  EXPECT_EQ(match("{\"name\": \"set_mode\", \"arguments\": {\"extra\": " + std::string(20, '[')),
            ToolCallMatch::kInvalid);
}

TEST(ToolCallGrammar, SpecsFromParleyAndOpenAiToolLists) {
  const auto tools = nlohmann::json::parse(R"([
    {"name": "set_volume", "parameters": {"type": "object",
      "properties": {"level": {"type": "integer", "minimum": 0, "maximum": 100}}, "required": ["level"]}},
    {"type": "function", "function": {"name": "set_mode", "parameters": {"type": "object",
      "properties": {"mode": {"type": "string", "enum": ["eco", "boost"]},
                     "when": {"type": ["string", "null"]}, "ratio": {"type": "number", "maximum": 1}}}}},
    {"type": "function", "function": {"name": "ping"}},
    {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    {"name": "set_volume", "parameters": {}}
  ])");
  const std::vector<ToolCallSpec> specs = tool_call_specs_from_json(tools, "tools.json");
  ASSERT_EQ(specs.size(), 4u);  // the repeated set_volume keeps the first
  EXPECT_EQ(specs[0].name, "set_volume");
  ASSERT_EQ(specs[0].parameters.size(), 1u);
  EXPECT_EQ(specs[0].parameters[0].type, Type::kInteger);
  EXPECT_TRUE(specs[0].parameters[0].required);
  EXPECT_EQ(specs[0].parameters[0].maximum, 100.0);
  EXPECT_EQ(specs[1].name, "set_mode");
  ASSERT_EQ(specs[1].parameters.size(), 3u);  // mode, ratio, when (sorted)
  EXPECT_EQ(specs[1].parameters[0].allowed, (std::vector<std::string>{"eco", "boost"}));
  EXPECT_EQ(specs[1].parameters[2].type, Type::kAny);  // a union type: any value
  EXPECT_TRUE(specs[2].free_arguments);                // no parameters given: any object
  EXPECT_FALSE(specs[3].free_arguments);
  EXPECT_TRUE(specs[3].parameters.empty());
  EXPECT_EQ(check_tool_call("{\"name\": \"ping\", \"arguments\": {\"a\": [1]}}</tool_call>", specs).match,
            ToolCallMatch::kComplete);
  EXPECT_EQ(check_tool_call("{\"name\": \"ping\", \"arguments\": [", specs).match, ToolCallMatch::kInvalid);
  EXPECT_EQ(check_tool_call("{\"name\": \"get_time\", \"arguments\": {\"a\"", specs).match,
            ToolCallMatch::kInvalid);
  // What is not a tool list is an error naming the source and the field.
  auto error_of = [](const char* text) {
    try {
      tool_call_specs_from_json(nlohmann::json::parse(text), "req");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of(R"({"name": "x"})"), "req: tools must be an array");
  EXPECT_EQ(error_of(R"([{"parameters": {}}])"), "req: tools[0].name must be a non-empty string");
  EXPECT_EQ(error_of(R"([{"type": "function", "function": 3}])"), "req: tools[0].function must be an object");
  EXPECT_EQ(error_of(R"([{"name": "a", "parameters": {"properties": []}}])"),
            "req: tools[0].parameters.properties must be an object");
  EXPECT_EQ(error_of(R"([{"name": "a", "parameters": {"required": "x"}}])"),
            "req: tools[0].parameters.required must be an array");
  // additionalProperties may be a schema (JSON Schema allows one): open, not a type error.
  const std::vector<ToolCallSpec> open_or_closed = tool_call_specs_from_json(nlohmann::json::parse(R"([
    {"name": "a", "parameters": {"type": "object", "additionalProperties": {"type": "string"}}},
    {"name": "b", "parameters": {"type": "object", "additionalProperties": false}},
    {"name": "c", "parameters": {"type": "object", "additionalProperties": "yes"}}
  ])"), "req");
  ASSERT_EQ(open_or_closed.size(), 3u);
  EXPECT_TRUE(open_or_closed[0].free_arguments);
  EXPECT_FALSE(open_or_closed[1].free_arguments);
  EXPECT_TRUE(open_or_closed[2].free_arguments);
}

// copy_from_request: a label quotes whole words of the request — case and the separator
// aside — and nothing else; with no request it is a plain string.
TEST(ToolCallGrammar, CopiedLabelsQuoteWholeWordsOfTheRequest) {
  const std::vector<ToolCallSpec> tools = tool_call_specs_from_json(nlohmann::json::parse(R"([
    {"name": "set_timer", "parameters": {"type": "object", "properties": {
      "duration": {"type": "string"}, "label": {"type": "string", "x-copy-from-request": true},
      "note": {"type": "string", "x-copy-from-request": false}}, "required": ["duration"]}}
  ])"), "tools.json");
  ASSERT_EQ(tools[0].parameters.size(), 3u);  // duration, label, note (sorted)
  EXPECT_FALSE(tools[0].parameters[0].copy_from_request);
  EXPECT_TRUE(tools[0].parameters[1].copy_from_request);
  EXPECT_FALSE(tools[0].parameters[2].copy_from_request);
  const RequestQuotes request("Start the Wake-up, Strum timer for 5 minutes... please!");
  auto with_label = [](std::string_view label) {
    return "{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"5 minutes\", \"label\": \"" + std::string(label) +
           "\"}}</tool_call>";
  };
  auto check = [&](std::string_view label, const RequestQuotes* r = nullptr) {
    return check_tool_call(with_label(label), tools, "</tool_call>", r).match;
  };
  for (const char* quote : {"strum", "Strum", "STRUM", "wake-up", "wake up", "Wake-up, Strum", "wake up strum",
                            "up strum timer", "5 minutes", "minutes... please", "minutes please", "start"}) {
    EXPECT_EQ(check(quote, &request), ToolCallMatch::kComplete) << quote;
    // Every prefix of a quote is partial.
    const std::string call = with_label(quote);
    for (size_t n = call.find("\"label\""); n < call.size(); ++n) {
      EXPECT_EQ(check_tool_call(call.substr(0, n), tools, "</tool_call>", &request).match, ToolCallMatch::kPartial)
          << call.substr(0, n);
    }
  }
  for (const char* not_quote : {"stru", "trum", "tea", "", " strum", "strum ", "wake  up", "wake_up", "up,strum",
                                "please!", "strum time", "timers"}) {
    EXPECT_EQ(check(not_quote, &request), ToolCallMatch::kInvalid) << '"' << not_quote << '"';
    EXPECT_EQ(check(not_quote), ToolCallMatch::kComplete) << "no request: a plain string";
  }
  // A partial value that no quote starts with is refused as it is written.
  EXPECT_EQ(check_tool_call("{\"name\": \"set_timer\", \"arguments\": {\"label\": \"tea", tools, "</tool_call>", &request)
                .match,
            ToolCallMatch::kInvalid);
  EXPECT_EQ(check_tool_call("{\"name\": \"set_timer\", \"arguments\": {\"label\": \"wake  ", tools, "</tool_call>",
                            &request)
                .match,
            ToolCallMatch::kInvalid);
  // Other string parameters stay free; an empty request enforces nothing.
  EXPECT_EQ(check_tool_call("{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"1 h\", \"note\": \"tea\"}}</tool_call>",
                            tools, "</tool_call>", &request)
                .match,
            ToolCallMatch::kComplete);
  const RequestQuotes nothing("  ...  ");
  EXPECT_TRUE(nothing.empty());
  EXPECT_EQ(check("tea", &nothing), ToolCallMatch::kComplete);
  // Escapes are decoded before matching; non-ASCII bytes are word bytes.
  const RequestQuotes french("minuteur pour le café");
  EXPECT_EQ(check("caf\\u00e9", &french), ToolCallMatch::kComplete);
  EXPECT_EQ(check("caf", &french), ToolCallMatch::kInvalid);
  // Only the request's last kMaxWords words may be quoted.
  std::string long_request = "first";
  for (size_t k = 0; k < RequestQuotes::kMaxWords; ++k) long_request += " w";
  const RequestQuotes tail(long_request);
  EXPECT_EQ(check("w w", &tail), ToolCallMatch::kComplete);
  EXPECT_EQ(check("first", &tail), ToolCallMatch::kInvalid);
}

const char* default_model_path() {
  return PARLEY_SOURCE_DIR "/models/llm/parley-chat.gguf";
}

TEST(ToolCallConstraint, OnARealVocabularyItAllowsExactlyTheTokensOfValidCalls) {
  GgufFile gguf(default_model_path());
  Tokenizer tok(gguf);
  ToolCallConstraint constraint(tok, appliance_tools());
  // Outside a call everything is allowed.
  const std::vector<TokenId> hello = tok.encode("Hello there", {});
  for (TokenId t : hello) {
    EXPECT_TRUE(constraint.allows(t));
    constraint.accept(t);
  }
  EXPECT_FALSE(constraint.inside_call());
  // Feed a real call token by token: every token is allowed, and the call closes.
  const std::string call =
      "<tool_call>\n{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"5 minutes\", \"label\": \"pasta\"}}\n</tool_call>";
  const std::vector<TokenId> ids = tok.encode(call, {.parse_special = true});
  ASSERT_GT(ids.size(), 10u);
  for (TokenId t : ids) {
    EXPECT_TRUE(constraint.allows(t)) << tok.token_to_piece(t, true);
    constraint.accept(t);
  }
  EXPECT_FALSE(constraint.inside_call());
  // Inside a call: the end of the turn, prose and unknown keys are refused.
  // The text a token adds after `previous`: its piece, less the space prefix the tokenizer puts
  // after a special token (this model's '"' is a USER_DEFINED piece).
  auto text_after = [&](TokenId previous, TokenId t) {
    std::string piece = tok.token_to_piece(t, true);
    if (tok.is_special(previous) && !tok.is_special(t) && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    return piece;
  };
  const std::vector<TokenId> open_keys =
      tok.encode("<tool_call>\n{\"name\": \"set_timer\", \"arguments\": {\"", {.parse_special = true});
  for (TokenId t : open_keys) constraint.accept(t);
  ASSERT_TRUE(constraint.inside_call());
  const std::optional<TokenId> im_end = tok.find_token("<|im_end|>");
  ASSERT_TRUE(im_end.has_value());
  EXPECT_FALSE(constraint.allows(*im_end));
  int allowed = 0;
  for (TokenId t = 0; t < tok.vocab_size(); ++t) {
    if (!constraint.allows(t)) continue;
    ++allowed;
    const std::string piece = text_after(open_keys.back(), t);
    // Every allowed token starts one of the two keys: "duration" or "label" (or is the space
    // prefix alone, which adds no text).
    if (piece.empty()) continue;
    EXPECT_TRUE(!piece.empty() && (piece[0] == 'd' || piece[0] == 'l')) << "allowed: \"" << piece << "\"";
  }
  EXPECT_GT(allowed, 0);
  // At any point of a call, allows() says exactly what the checker says of the text so far plus
  // the token (its first-byte shortcut changes nothing).
  for (const std::string body : {std::string("\n{\"name\": \"set_timer\", \"arguments\": {\""),
                                 std::string("\n{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"5 min"),
                                 std::string("\n{\"name\": \"set_volume\", \"arguments\": {\"level\": 1")}) {
    constraint.reset();
    const std::vector<TokenId> fed = tok.encode("<tool_call>" + body, {.parse_special = true});
    for (TokenId t : fed) constraint.accept(t);
    ASSERT_TRUE(constraint.inside_call()) << body;
    int differ = 0;
    for (TokenId t = 0; t < tok.vocab_size(); ++t) {
      const std::string piece = text_after(fed.back(), t);
      const bool expected = !tok.token_to_piece(t, true).empty() && !tok.is_end_of_generation(t) &&
                            check_tool_call(body + piece, appliance_tools()).match != ToolCallMatch::kInvalid;
      differ += constraint.allows(t) != expected;
    }
    EXPECT_EQ(differ, 0) << body;
  }
  // A new reply starts outside any call.
  constraint.reset();
  EXPECT_FALSE(constraint.inside_call());
  EXPECT_TRUE(constraint.allows(*im_end));
}

// With a request set, the constraint lets a copied label grow only along the request's words,
// and set_request outlives reset() (the reply after a tool result quotes the same request).
TEST(ToolCallConstraint, ACopiedLabelGrowsOnlyAlongTheRequestsWords) {
  GgufFile gguf(default_model_path());
  Tokenizer tok(gguf);
  std::vector<ToolCallSpec> tools = appliance_tools();
  tools[1].parameters[1].copy_from_request = true;  // set_timer.label
  ToolCallConstraint constraint(tok, tools);
  constraint.set_request("set a pasta timer for five minutes");
  constraint.reset();
  const std::string head = "<tool_call>\n{\"name\": \"set_timer\", \"arguments\": {\"duration\": \"5 minutes\", \"label\": \"";
  const std::vector<TokenId> fed = tok.encode(head, {.parse_special = true});
  for (TokenId t : fed) constraint.accept(t);
  ASSERT_TRUE(constraint.inside_call());
  std::vector<std::string> allowed_pieces;
  for (TokenId t = 0; t < tok.vocab_size(); ++t) {
    if (!constraint.allows(t)) continue;
    std::string piece = tok.token_to_piece(t, true);
    if (tok.is_special(fed.back()) && !tok.is_special(t) && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    if (piece.empty() || piece[0] == '\\') continue;  // an escape may still spell a letter
    allowed_pieces.push_back(piece);
    // Each allowed piece starts a word of the request (and stays within a quote of it).
    const RequestQuotes request("set a pasta timer for five minutes");
    EXPECT_TRUE(request.quotes(piece, false)) << "allowed: \"" << piece << "\"";
  }
  EXPECT_FALSE(allowed_pieces.empty());
  // The whole quoted label goes through, token by token, and the call closes.
  const std::vector<TokenId> rest = tok.encode(head + "pasta\"}}\n</tool_call>", {.parse_special = true});
  constraint.reset();
  for (TokenId t : rest) {
    EXPECT_TRUE(constraint.allows(t)) << tok.token_to_piece(t, true);
    constraint.accept(t);
  }
  EXPECT_FALSE(constraint.inside_call());
  // A label the request does not hold is refused at its first piece that leaves the words.
  constraint.reset();
  const std::vector<TokenId> made_up = tok.encode(head + "carrots", {.parse_special = true});
  bool refused = false;
  for (TokenId t : made_up) {
    if (!constraint.allows(t)) {
      refused = true;
      break;
    }
    constraint.accept(t);
  }
  EXPECT_TRUE(refused);
  // No request: the same label is a plain string again.
  constraint.set_request("");
  constraint.reset();
  for (TokenId t : made_up) {
    EXPECT_TRUE(constraint.allows(t)) << tok.token_to_piece(t, true);
    constraint.accept(t);
  }
}

TEST(ToolCallConstraint, RequiredMakesTheReplyStartWithACall) {
  GgufFile gguf(default_model_path());
  Tokenizer tok(gguf);
  ToolCallConstraint constraint(tok, appliance_tools());
  constraint.set_required(true);
  constraint.reset();
  const TokenId open = *tok.find_token("<tool_call>");
  const TokenId im_end = *tok.find_token("<|im_end|>");
  EXPECT_TRUE(constraint.allows(open));
  EXPECT_FALSE(constraint.allows(im_end));                   // no ending before the call
  for (TokenId t : tok.encode("Sure", {})) EXPECT_FALSE(constraint.allows(t)) << tok.token_to_piece(t);
  const TokenId newline = *tok.find_token("\n");
  EXPECT_TRUE(constraint.allows(newline));                   // a little whitespace first is fine
  constraint.accept(newline);
  EXPECT_TRUE(constraint.allows(open));
  for (TokenId t : tok.encode("<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>", {.parse_special = true}))
    constraint.accept(t);
  EXPECT_FALSE(constraint.inside_call());
  EXPECT_TRUE(constraint.allows(im_end));                    // after the call the reply is free
  for (TokenId t : tok.encode("Done", {})) EXPECT_TRUE(constraint.allows(t));
  // Kept across replies.
  constraint.reset();
  EXPECT_FALSE(constraint.allows(im_end));
  constraint.set_required(false);
  EXPECT_TRUE(constraint.allows(im_end));
}

TEST(ToolCallConstraint, RejectsABadToolList) {
  GgufFile gguf(default_model_path());
  Tokenizer tok(gguf);
  EXPECT_THROW(ToolCallConstraint(tok, {}), Error);
  EXPECT_THROW(ToolCallConstraint(tok, {{"", {}}}), Error);
  EXPECT_THROW(ToolCallConstraint(tok, {{"a", {}}, {"a", {}}}), Error);
  EXPECT_THROW(ToolCallConstraint(tok, {{"a", {param("x", Type::kAny), param("x", Type::kString)}}}), Error);
}

// A constraint over a 5-token vocabulary: only even tokens.
class EvenOnly final : public TokenConstraint {
 public:
  bool allows(int32_t token) const override { return token % 2 == 0; }
  void accept(int32_t token) override { accepted.push_back(token); }
  void reset() override { accepted.clear(); }
  std::vector<int32_t> accepted;
};

TEST(ToolCallConstraint, SamplerTakesTheBestAllowedToken) {
  EvenOnly even;
  Sampler greedy({}, 5);
  greedy.set_constraint(&even);
  float logits[5] = {1.0f, 9.0f, 3.0f, 8.0f, 2.0f};
  EXPECT_EQ(greedy.sample(logits), 2);  // 1 and 3 are likelier but refused
  greedy.accept(2);
  EXPECT_EQ(even.accepted, std::vector<int32_t>{2});
  // Sampling: never a refused token, whatever the seed.
  SamplerConfig config;
  config.temperature = 1.0f;
  config.top_k = 0;
  config.min_p = 0.0f;
  config.top_p = 1.0f;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    config.seed = seed;
    Sampler sampler(config, 5);
    sampler.set_constraint(&even);
    float l[5] = {1.0f, 9.0f, 3.0f, 8.0f, 2.0f};
    EXPECT_EQ(sampler.sample(l) % 2, 0);
  }
  // Nothing allowed: the unconstrained choice stands rather than no token at all.
  class Nothing final : public TokenConstraint {
   public:
    bool allows(int32_t) const override { return false; }
    void accept(int32_t) override {}
    void reset() override {}
  } nothing;
  greedy.set_constraint(&nothing);
  float l[5] = {1.0f, 9.0f, 3.0f, 8.0f, 2.0f};
  EXPECT_EQ(greedy.sample(l), 1);
}

}  // namespace
}  // namespace parley::llm
