// Chat templates: recognises the family of a model's `tokenizer.chat_template` (a Jinja string
// we do not execute) and renders a conversation in that family's format.
//
// Families: llama-3 (<|start_header_id|>), ChatML/Qwen (<|im_start|>), Zephyr (<|user|> ...
// </s>), Phi-3 (<|user|> ... <|end|>), Llama-2 ([INST] with <<SYS>>), Gemma (<start_of_turn>),
// and a plain "User:/Assistant:" fallback for models without a template.
//
//   ChatFormat format = detect_chat_format(gguf.find_string("tokenizer.chat_template"));
//   std::string prompt = render_chat(format, messages, /*add_generation_prompt=*/true, bos_text);
//   tokens = tokenizer.encode(prompt, {.add_special = false, .parse_special = true});
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::llm {

enum class ChatFormat { Plain, Llama3, ChatML, Zephyr, Phi3, Llama2, Gemma };

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

// The content of the last "user" message; empty when there is none.
std::string_view last_user_message(const std::vector<ChatMessage>& messages);

ChatFormat detect_chat_format(std::optional<std::string_view> chat_template);
std::string_view chat_format_name(ChatFormat format);

// `bos` is the text of the BOS token for formats that write it ("<s>", "<|begin_of_text|>"),
// empty when the vocabulary has none. Gemma and Phi-3 have no system role: the system message
// is put in front of the first user message, as their templates do.
std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt, std::string_view bos);

}  // namespace parley::llm
