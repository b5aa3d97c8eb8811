#include "assistant/server/openai_chat.h"

#include <cmath>
#include <limits>

#include "assistant/server/api_error.h"

namespace parley::assistant::server {

namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& param, const std::string& message,
                          const std::string& code) {
  throw ApiError(400, message, param, code);
}

std::string type_name(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "boolean";
  if (value.is_number_integer() || value.is_number_unsigned()) return "integer";
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  return "object";
}

[[noreturn]] void wrong_type(const std::string& param, const json& value,
                             const std::string& expected) {
  invalid(param, "'" + param + "' must be " + expected + ", got " + type_name(value),
          "invalid_type");
}

std::optional<double> number_in(const json& body, const std::string& key, double low, double high) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) wrong_type(key, *it, "a number");
  const double value = it->get<double>();
  if (!(value >= low && value <= high))
    invalid(key,
            "'" + key + "' must be between " + json(low).dump() + " and " + json(high).dump() +
                ", got " + it->dump(),
            "invalid_value");
  return value;
}

std::string content_text(const json& content, const std::string& param, bool null_allowed) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) {
    if (null_allowed) return "";
    invalid(param, "'" + param + "' must not be null", "invalid_type");
  }
  if (!content.is_array()) wrong_type(param, content, "a string or an array of content parts");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string part_param = param + "[" + std::to_string(i) + "]";
    if (!part.is_object()) wrong_type(part_param, part, "an object");
    auto type = part.find("type");
    if (type == part.end() || !type->is_string())
      invalid(part_param + ".type", "'type' must be a string", "invalid_type");
    if (*type != "text")
      invalid(part_param + ".type",
              "content part type '" + type->get<std::string>() + "' is not supported; only 'text'",
              "unsupported_value");
    auto value = part.find("text");
    if (value == part.end() || !value->is_string())
      invalid(part_param + ".text", "'text' must be a string", "invalid_type");
    text += value->get<std::string>();
  }
  return text;
}

std::string render_tool_calls(const json& calls, const std::string& param) {
  if (!calls.is_array()) wrong_type(param, calls, "an array");
  std::string text;
  for (size_t i = 0; i < calls.size(); ++i) {
    const json& call = calls[i];
    const std::string call_param = param + "[" + std::to_string(i) + "]";
    if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
      invalid(call_param, "a tool call must be an object with a 'function' object", "invalid_type");
    const json& function = call["function"];
    if (!function.contains("name") || !function["name"].is_string())
      invalid(call_param + ".function.name", "'name' must be a string", "invalid_type");
    json arguments = json::object();
    if (function.contains("arguments")) {
      const json& a = function["arguments"];
      if (a.is_string()) {
        arguments = json::parse(a.get<std::string>(), nullptr, false);
        if (arguments.is_discarded()) arguments = a;
      } else {
        arguments = a;
      }
    }
    if (!text.empty()) text += "\n";
    text += "<tool_call>\n" + json{{"name", function["name"]}, {"arguments", arguments}}.dump() +
            "\n</tool_call>";
  }
  return text;
}

llm::ChatMessage parse_message(const json& message, size_t index) {
  const std::string param = "messages[" + std::to_string(index) + "]";
  if (!message.is_object()) wrong_type(param, message, "an object");
  auto role_it = message.find("role");
  if (role_it == message.end()) invalid(param + ".role", "'role' is required", "missing_field");
  if (!role_it->is_string()) wrong_type(param + ".role", *role_it, "a string");
  std::string role = role_it->get<std::string>();
  auto content_it = message.find("content");
  const bool is_assistant = role == "assistant";
  if (content_it == message.end() && !is_assistant)
    invalid(param + ".content", "'content' is required", "missing_field");
  std::string content = content_it == message.end()
                            ? ""
                            : content_text(*content_it, param + ".content", is_assistant);
  if (role == "system" || role == "developer") return {"system", std::move(content)};
  if (role == "user") return {"user", std::move(content)};
  if (is_assistant) {
    auto calls = message.find("tool_calls");
    if (calls != message.end() && !calls->is_null()) {
      const std::string rendered = render_tool_calls(*calls, param + ".tool_calls");
      content = content.empty() ? rendered : content + "\n" + rendered;
    }
    return {"assistant", std::move(content)};
  }
  if (role == "tool") return {"user", "<tool_response>\n" + content + "\n</tool_response>"};
  invalid(param + ".role",
          "'" + role + "' is not a valid role; expected system, developer, user, assistant or tool",
          "invalid_value");
}

json parse_tools(const json& tools) {
  if (tools.is_null()) return nullptr;
  if (!tools.is_array()) wrong_type("tools", tools, "an array");
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string param = "tools[" + std::to_string(i) + "]";
    const json& tool = tools[i];
    if (!tool.is_object()) wrong_type(param, tool, "an object");
    if (!tool.contains("type") || tool["type"] != "function")
      invalid(param + ".type", "only tools of type 'function' are supported", "unsupported_value");
    if (!tool.contains("function") || !tool["function"].is_object())
      invalid(param + ".function", "'function' must be an object", "invalid_type");
    const json& function = tool["function"];
    if (!function.contains("name") || !function["name"].is_string() ||
        function["name"].get<std::string>().empty())
      invalid(param + ".function.name", "'name' must be a non-empty string", "invalid_type");
    if (function.contains("parameters") && !function["parameters"].is_object())
      wrong_type(param + ".function.parameters", function["parameters"], "an object");
  }
  return tools.empty() ? json(nullptr) : tools;
}

json completion_base(const CompletionIds& ids, const char* object) {
  return json{{"id", ids.id},
              {"object", object},
              {"created", ids.created_unix},
              {"model", ids.model},
              {"system_fingerprint", nullptr}};
}

}  // namespace

ChatCompletionRequest parse_chat_completion_request(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    throw ApiError(400, "the request body is not valid JSON", {}, "invalid_json");
  if (!parsed.is_object())
    throw ApiError(400, "the request body must be a JSON object, got " + type_name(parsed), {},
                   "invalid_type");

  ChatCompletionRequest request;
  if (auto it = parsed.find("model"); it != parsed.end() && !it->is_null()) {
    if (!it->is_string()) wrong_type("model", *it, "a string");
    request.model = it->get<std::string>();
  }
  auto messages = parsed.find("messages");
  if (messages == parsed.end()) invalid("messages", "'messages' is required", "missing_field");
  if (!messages->is_array()) wrong_type("messages", *messages, "an array");
  if (messages->empty())
    invalid("messages", "'messages' must contain at least one message", "invalid_value");
  for (size_t i = 0; i < messages->size(); ++i)
    request.messages.push_back(parse_message((*messages)[i], i));

  request.temperature = number_in(parsed, "temperature", 0.0, 2.0);
  request.top_p = number_in(parsed, "top_p", 0.0, 1.0);
  if (request.top_p && *request.top_p <= 0.0)
    invalid("top_p", "'top_p' must be greater than 0", "invalid_value");
  request.presence_penalty = number_in(parsed, "presence_penalty", -2.0, 2.0);
  request.frequency_penalty = number_in(parsed, "frequency_penalty", -2.0, 2.0);
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    auto it = parsed.find(key);
    if (it == parsed.end() || it->is_null()) continue;
    if (!it->is_number_integer()) wrong_type(key, *it, "an integer");
    const int64_t value = it->get<int64_t>();
    if (value < 1 || value > std::numeric_limits<int32_t>::max())
      invalid(key, std::string("'") + key + "' must be at least 1, got " + it->dump(),
              "invalid_value");
    if (!request.max_tokens) request.max_tokens = static_cast<int32_t>(value);
  }
  if (auto it = parsed.find("stop"); it != parsed.end() && !it->is_null()) {
    if (it->is_string()) {
      request.stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      if (it->size() > 4) invalid("stop", "'stop' may hold at most 4 sequences", "invalid_value");
      for (const json& s : *it) {
        if (!s.is_string()) wrong_type("stop", s, "a string or an array of strings");
        request.stop.push_back(s.get<std::string>());
      }
    } else {
      wrong_type("stop", *it, "a string or an array of strings");
    }
    for (const std::string& s : request.stop)
      if (s.empty()) invalid("stop", "stop sequences must not be empty", "invalid_value");
  }
  if (auto it = parsed.find("seed"); it != parsed.end() && !it->is_null()) {
    if (!it->is_number_integer()) wrong_type("seed", *it, "an integer");
    request.seed =
        it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(it->get<int64_t>());
  }
  if (auto it = parsed.find("stream"); it != parsed.end() && !it->is_null()) {
    if (!it->is_boolean()) wrong_type("stream", *it, "a boolean");
    request.stream = it->get<bool>();
  }
  if (auto it = parsed.find("stream_options"); it != parsed.end() && !it->is_null()) {
    if (!it->is_object()) wrong_type("stream_options", *it, "an object");
    if (auto usage = it->find("include_usage"); usage != it->end() && !usage->is_null()) {
      if (!usage->is_boolean()) wrong_type("stream_options.include_usage", *usage, "a boolean");
      request.include_usage = usage->get<bool>();
    }
  }
  if (auto it = parsed.find("n"); it != parsed.end() && !it->is_null()) {
    if (!it->is_number_integer()) wrong_type("n", *it, "an integer");
    if (it->get<int64_t>() != 1) invalid("n", "only n = 1 is supported", "unsupported_value");
  }
  if (auto it = parsed.find("tools"); it != parsed.end()) request.tools = parse_tools(*it);
  if (auto it = parsed.find("tool_choice"); it != parsed.end() && !it->is_null()) {
    if (it->is_string()) {
      const std::string choice = it->get<std::string>();
      if (choice == "none")
        request.tools = nullptr;
      else if (choice == "required")
        request.tool_call_required = true;
      else if (choice != "auto")
        invalid("tool_choice", "'tool_choice' must be none, auto, required or an object",
                "invalid_value");
    } else if (!it->is_object()) {
      wrong_type("tool_choice", *it, "a string or an object");
    } else {
      const json& choice = *it;
      const json* function = choice.contains("function") ? &choice["function"] : nullptr;
      if (choice.value("type", json()) != "function" || function == nullptr || !function->is_object() ||
          !function->contains("name") || !(*function)["name"].is_string())
        invalid("tool_choice", "an object 'tool_choice' must be {\"type\": \"function\", \"function\": {\"name\": ...}}",
                "invalid_value");
      request.forced_tool = (*function)["name"].get<std::string>();
      bool known = false;
      if (request.tools.is_array()) {
        for (const json& tool : request.tools) known = known || tool["function"]["name"] == request.forced_tool;
      }
      if (!known)
        invalid("tool_choice", "'tool_choice' names '" + request.forced_tool + "', which is not in 'tools'",
                "invalid_value");
      request.tool_call_required = true;
    }
  }
  return request;
}

json usage_json(const ChatUsage& usage) {
  return json{{"prompt_tokens", usage.prompt_tokens},
              {"completion_tokens", usage.completion_tokens},
              {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

namespace {
json tool_calls_json(const std::vector<ToolCall>& calls, bool with_index) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    json call = {{"id", calls[i].id},
                 {"type", "function"},
                 {"function", {{"name", calls[i].name}, {"arguments", calls[i].arguments}}}};
    if (with_index) call["index"] = i;
    out.push_back(std::move(call));
  }
  return out;
}
constexpr auto kReplace = json::error_handler_t::replace;
}  // namespace

std::string chat_completion_json(const CompletionIds& ids, const std::string& content,
                                 const std::vector<ToolCall>& tool_calls, const ChatUsage& usage,
                                 const std::string& finish_reason) {
  json message = {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}};
  if (!tool_calls.empty()) {
    message["tool_calls"] = tool_calls_json(tool_calls, false);
    if (content.empty()) message["content"] = nullptr;
  }
  json out = completion_base(ids, "chat.completion");
  out["choices"] = json::array({json{{"index", 0},
                                     {"message", message},
                                     {"logprobs", nullptr},
                                     {"finish_reason", finish_reason}}});
  out["usage"] = usage_json(usage);
  return out.dump(-1, ' ', false, kReplace);
}

std::string chat_chunk_json(const CompletionIds& ids, const json& delta,
                            const std::string& finish_reason, const std::optional<ChatUsage>& usage,
                            bool with_choice) {
  json out = completion_base(ids, "chat.completion.chunk");
  out["choices"] = json::array();
  if (with_choice)
    out["choices"].push_back(
        json{{"index", 0},
             {"delta", delta},
             {"logprobs", nullptr},
             {"finish_reason", finish_reason.empty() ? json(nullptr) : json(finish_reason)}});
  if (usage) out["usage"] = usage_json(*usage);
  return out.dump(-1, ' ', false, kReplace);
}

bool chat_template_supports_tools(std::optional<std::string_view> chat_template) {
  return chat_template && chat_template->find("tools") != std::string_view::npos;
}

std::vector<llm::ChatMessage> with_tools(const std::vector<llm::ChatMessage>& messages,
                                         const json& tools) {
  if (!tools.is_array() || tools.empty()) return messages;
  std::string block =
      "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
  for (const json& tool : tools) {
    block += '\n';
    block += tool.dump(-1, ' ', false, kReplace);
  }
  block +=
      "\n</tools>\n\nFor each function call, return a json object with function name and arguments "
      "within "
      "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
      "<args-json-object>}\n</tool_call>";
  std::vector<llm::ChatMessage> out = messages;
  if (!out.empty() && out.front().role == "system")
    out.front().content += "\n\n" + block;
  else
    out.insert(out.begin(), llm::ChatMessage{"system", block});
  return out;
}

std::string extract_tool_calls(const std::string& reply, std::vector<ToolCall>& calls) {
  static constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>";
  std::string text;
  size_t at = 0;
  const size_t calls_before = calls.size();
  for (;;) {
    const size_t open = reply.find(kOpen, at);
    if (open == std::string::npos) break;
    size_t close = reply.find(kClose, open + kOpen.size());
    const size_t body_end = close == std::string::npos ? reply.size() : close;
    const json body = json::parse(reply.substr(open + kOpen.size(), body_end - open - kOpen.size()),
                                  nullptr, false);
    if (!body.is_object() || !body.contains("name") || !body["name"].is_string()) break;
    text += reply.substr(at, open - at);
    json arguments = body.contains("arguments") ? body["arguments"] : json::object();
    calls.push_back(
        ToolCall{"call_" + std::to_string(calls.size()), body["name"].get<std::string>(),
                 arguments.is_string() ? arguments.get<std::string>() : arguments.dump()});
    at = close == std::string::npos ? reply.size() : close + kClose.size();
  }
  text += reply.substr(at);
  if (calls.size() == calls_before) return text;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace parley::assistant::server
