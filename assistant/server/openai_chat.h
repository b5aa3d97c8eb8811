// The OpenAI chat-completions schema: request parsing with OpenAI-style validation errors, and
// the response / stream-chunk objects. No HTTP and no model here (chat_routes.cc joins them).
//
//   ChatCompletionRequest request = parse_chat_completion_request(body);   // throws ApiError
//   std::string json = chat_completion_json(ids, request_model, "Hello!", usage, "stop");
//
// Accepted request fields (others are ignored, as OpenAI ignores unknown ones it does not need):
//   model (string), messages (non-empty array of {role: system|developer|user|assistant|tool,
//   content: string | [{type: "text", text}] | null for assistant}), temperature (0..2),
//   top_p (0..1], max_tokens / max_completion_tokens (>= 1), stop (string or array of at most 4
//   strings), seed (integer), stream (bool), stream_options.include_usage (bool),
//   presence_penalty / frequency_penalty (-2..2), n (only 1), tools (array of
//   {type: "function", function: {name, description?, parameters?}}), tool_choice ("none"
//   disables tools; "required" or {type: "function", function: {name}} — a tool of `tools` —
//   makes the reply start with a call where the model's template takes tools).
// Errors: ApiError 400 with param = the field and code invalid_json / missing_field /
// invalid_type / invalid_value / unsupported_value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"

namespace parley::assistant::server {

struct ChatCompletionRequest {
  std::string model;                       // "" = absent: the server's model
  std::vector<llm::ChatMessage> messages;  // roles system, user, assistant, tool
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int32_t> max_tokens;
  std::vector<std::string> stop;
  std::optional<uint64_t> seed;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  nlohmann::json tools;        // null or an array of function tools
  // tool_choice: "required" or {"type": "function", "function": {"name"}} make the reply start
  // with a call (of that tool), decoded under the tools' grammar; "auto" leaves it to the model.
  bool tool_call_required = false;
  std::string forced_tool;     // the named tool_choice's name; "" = any
};

ChatCompletionRequest parse_chat_completion_request(std::string_view body);

struct ChatUsage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
};

struct ToolCall {
  std::string id;  // "call_<n>"
  std::string name;
  std::string arguments;  // JSON text
};

struct CompletionIds {
  std::string id;  // "chatcmpl-..."
  int64_t created_unix = 0;
  std::string model;
};

nlohmann::json usage_json(const ChatUsage& usage);

// {"id","object":"chat.completion","created","model","choices":[{index, message, logprobs,
// finish_reason}],"usage"}; tool_calls (non-empty) go in the message, content null when empty.
std::string chat_completion_json(const CompletionIds& ids, const std::string& content,
                                 const std::vector<ToolCall>& tool_calls, const ChatUsage& usage,
                                 const std::string& finish_reason);

// One "chat.completion.chunk": `delta` as given, finish_reason null when empty, "usage" added
// when `usage` is set (OpenAI puts usage on a last chunk whose choices are empty: pass
// `with_choice` false for that one).
std::string chat_chunk_json(const CompletionIds& ids, const nlohmann::json& delta,
                            const std::string& finish_reason, const std::optional<ChatUsage>& usage,
                            bool with_choice = true);

// Tools for chat templates that support them: the Hermes/Qwen "# Tools" block (function
// signatures inside <tools></tools>, calls expected as <tool_call>{"name", "arguments"}
// </tool_call>) appended to the system message (one is added when absent). Tool-result messages
// become user turns wrapped in <tool_response></tool_response>; assistant tool_calls were
// already rendered as <tool_call> text by the parser.
bool chat_template_supports_tools(std::optional<std::string_view> chat_template);
std::vector<llm::ChatMessage> with_tools(const std::vector<llm::ChatMessage>& messages,
                                         const nlohmann::json& tools);

// Splits <tool_call>{...}</tool_call> blocks out of a reply: returns the remaining text and
// appends each call whose body is a JSON object with a string "name".
std::string extract_tool_calls(const std::string& reply, std::vector<ToolCall>& calls);

}  // namespace parley::assistant::server
