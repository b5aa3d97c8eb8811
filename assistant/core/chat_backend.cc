#include "assistant/core/chat_backend.h"

#include <cstdlib>

#include "assistant/core/remote_chat.h"
#include "assistant/core/tool_registry.h"
#include "kernels/error.h"

namespace parley::assistant {

std::unique_ptr<ChatEngine> open_chat_engine(const AssistantConfig& config, const std::string& gguf_path) {
  if (config.remote_llm.enabled) {
    const RemoteLlmSettings& remote = config.remote_llm;
    std::string api_key;
    if (!remote.api_key_env.empty()) {
      const char* value = std::getenv(remote.api_key_env.c_str());
      if (value == nullptr)
        throw Error("remote_llm.api_key_env: environment variable " + remote.api_key_env + " is not set");
      api_key = value;
    }
    return std::make_unique<RemoteChatEngine>(RemoteChatOptions{
        .base_url = remote.url,
        .model = remote.model,
        .api_key = api_key,
        .timeout_s = remote.timeout_s,
        .fallback_message = remote.fallback_message,
        .max_tokens = config.llm.max_tokens,
        .temperature = config.llm.temperature,
        .seed = config.llm.seed});
  }
  std::vector<llm::ToolCallSpec> tool_calls = local_tool_call_specs(config);
  return std::make_unique<LlmChatEngine>(gguf_path, LlmEngineOptions{.max_tokens = config.llm.max_tokens,
                                                                     .temperature = config.llm.temperature,
                                                                     .seed = config.llm.seed,
                                                                     .threads = config.llm.threads,
                                                                     .context_length = config.llm.context_length,
                                                                     .tool_calls = std::move(tool_calls)});
}

std::vector<llm::ToolCallSpec> local_tool_call_specs(const AssistantConfig& config) {
  if (!config.tools.enabled || !config.tools.constrain_calls) return {};
  ToolRegistry registry = ToolRegistry::builtin();
  for (const std::string& name : config.tools.disabled) registry.set_enabled(name, false);
  return registry.enabled_call_specs();
}

std::string describe_chat_backend(const AssistantConfig& config, const std::string& gguf_path) {
  if (!config.remote_llm.enabled) return gguf_path;
  return "remote " + config.remote_llm.url +
         (config.remote_llm.model.empty() ? "" : " (model " + config.remote_llm.model + ")");
}

}  // namespace parley::assistant
