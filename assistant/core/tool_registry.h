// ToolRegistry — the local tools the LLM can call: their schemas (names, argument types, ranges,
// loaded from JSON — the embedded assistant/core/tools.json by default), the handlers that run
// them, and the one entry point that turns a call's text into a result for the conversation.
//
// Schema file: a JSON array of tools (or {"tools": [...]}), each either
//   {"name": ..., "description": ..., "parameters": {"type": "object", "properties": {...},
//    "required": [...]}}  or the OpenAI form {"type": "function", "function": {same}}.
// Argument schemas understood: "type" string | integer | number | boolean, "minimum",
// "maximum", "enum". Arguments not in "properties" are rejected.
//
// Contracts
//   * call_text() never throws and never crashes on any model output: malformed JSON, a missing
//     or unknown name, bad or missing arguments, a handler that rejects its input (throws
//     ToolInputError or parley::Error) — each becomes a ToolResult with ok == false and an
//     error message written for the model to read (it names the tool, the argument and what is
//     allowed). The call accepts "arguments" as an object or as a JSON string (OpenAI style) and
//     "parameters" as a synonym (Llama 3.1 style).
//   * A tool in the schema without a handler answers "not available on this device"; a handler
//     for a name not in the schema is a programmer error (set_handler throws parley::Error).
//   * Disabled tools (set_enabled) answer as unknown. The registry is not thread-safe to modify;
//     call() is as thread-safe as the handlers.
//
// Usage
//   ToolRegistry registry = ToolRegistry::builtin();           // embedded tools.json
//   registry.set_handler("get_time", [&](const nlohmann::json&) { return nlohmann::json{{"time",
//   "07:05"}}; }); ToolResult r = registry.call_text(R"({"name": "get_time", "arguments": {}})");
//   history.push_back(tool_message(r));          // {"role": "tool", "content": "{\"name\":...}"}
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"
#include "llm/tool_call_grammar.h"

namespace parley::assistant {

// Thrown by handlers for arguments that pass the schema but make no sense ("25:99", "soon").
class ToolInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ToolArgumentSchema {
  std::string name;
  std::string type;  // "string", "integer", "number", "boolean"
  std::string description;
  bool required = false;
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::vector<nlohmann::json> allowed;  // "enum"; empty: any value of the type
};

struct ToolSchema {
  std::string name;
  std::string description;
  std::vector<ToolArgumentSchema> arguments;  // in the file's order
};

struct ToolResult {
  std::string name;  // the tool asked for ("" when the call had none)
  bool ok = false;
  nlohmann::json value;  // the handler's result when ok
  std::string error;     // what went wrong when !ok, for the model to read
  // {"name": ..., "ok": true, "result": ...} or {"name": ..., "ok": false, "error": ...}
  std::string to_json() const;
};

// The result as a conversation message: role "tool", content = to_json().
llm::ChatMessage tool_message(const ToolResult& result);

// The schema that ships with the binary (assistant/core/tools.json, embedded at build time).
std::string_view builtin_tools_json();

class ToolRegistry {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& arguments)>;

  // Throws parley::Error naming `source` and the field for a malformed schema.
  static ToolRegistry from_json(std::string_view schema_json, const std::string& source);
  static ToolRegistry builtin() { return from_json(builtin_tools_json(), "builtin tools.json"); }

  void set_handler(const std::string& name, Handler handler);
  void set_enabled(const std::string& name, bool enabled);  // throws for an unknown name
  bool has_handler(const std::string& name) const { return handlers_.count(name) != 0; }

  const std::vector<ToolSchema>& schemas() const { return schemas_; }
  const ToolSchema* find(std::string_view name) const;
  // The enabled tools as the JSON array the model sees in its system prompt.
  std::string enabled_schema_json() const;
  // The enabled tools as the tool-call grammar's specs (constrained decoding of calls:
  // llm/tool_call_grammar.h). Empty when every tool is disabled.
  std::vector<llm::ToolCallSpec> enabled_call_specs() const;

  ToolResult call_text(
      std::string_view call_body) const;  // the text inside <tool_call>…</tool_call>
  ToolResult call(const std::string& name, const nlohmann::json& arguments) const;

 private:
  std::vector<ToolSchema> schemas_;
  nlohmann::json schema_source_;  // the tools as loaded, for enabled_schema_json()
  std::map<std::string, Handler, std::less<>> handlers_;
  std::set<std::string, std::less<>> disabled_;
};

}  // namespace parley::assistant
