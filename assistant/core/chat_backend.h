// Which brain the configuration asks for: the local GGUF runner (LlmChatEngine) or, when
// remote_llm.enabled is set, an OpenAI-compatible server (RemoteChatEngine) with the configured
// timeout and spoken fallback. One place for every mode (converse, listen, serve) to choose.
//
// Usage
//   std::unique_ptr<ChatEngine> brain = open_chat_engine(config, llm_path);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "assistant/core/config.h"
#include "assistant/core/engines.h"

namespace parley::assistant {

// `gguf_path` is the resolved local model (unused for a remote backend). The API key of a remote
// backend is read from the environment variable remote_llm.api_key_env; a variable that is named
// but not set is a parley::Error naming it. Throws parley::Error when a model cannot load.
std::unique_ptr<ChatEngine> open_chat_engine(const AssistantConfig& config, const std::string& gguf_path);

// The grammar specs of the tools a local model may call (the built-in tools less
// tools.disabled); empty when tools.enabled or tools.constrain_calls is off.
std::vector<llm::ToolCallSpec> local_tool_call_specs(const AssistantConfig& config);

// "local <path>" or "remote <url> (model M)": for the loading line the commands print.
std::string describe_chat_backend(const AssistantConfig& config, const std::string& gguf_path);

}  // namespace parley::assistant
