// Chat templates: family detection from a model's tokenizer.chat_template text, then rendering
// a conversation in that family (and in every family) with message roles and contents taken from
// the input. Input fields are separated by '\xff': template, then role/content pairs.
// Seeds: the chat templates in tests/llm/fixtures/*/tokenizer_config.json.
#include <string>
#include <vector>

#include "llm/chat_template.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(chat_template) {
  std::string_view rest = parley::fuzz::as_text(data, size);
  const std::string_view chat_template = parley::fuzz::take_field(rest);
  std::vector<parley::llm::ChatMessage> messages = {
      {"system", "You are Parley."}, {"user", "What time is it?"}, {"assistant", "Noon."}};
  while (!rest.empty() && messages.size() < 64) {
    std::string role(parley::fuzz::take_field(rest));
    std::string content(parley::fuzz::take_field(rest));
    messages.push_back({std::move(role), std::move(content)});
  }
  const parley::llm::ChatFormat detected = parley::llm::detect_chat_format(chat_template);
  (void)parley::llm::chat_format_name(detected);
  const std::string prompt = parley::llm::render_chat(detected, messages, true, "<s>");
  // Every user message's content appears in the prompt whole (system text may be folded or
  // replaced, as the families' templates do).
  for (const parley::llm::ChatMessage& m : messages)
    if (m.role == "user" && prompt.find(m.content) == std::string::npos) __builtin_trap();
  for (auto format : {parley::llm::ChatFormat::Plain, parley::llm::ChatFormat::Llama3,
                      parley::llm::ChatFormat::ChatML, parley::llm::ChatFormat::Zephyr,
                      parley::llm::ChatFormat::Phi3, parley::llm::ChatFormat::Llama2,
                      parley::llm::ChatFormat::Gemma})
    (void)parley::llm::render_chat(format, messages, (size & 1) != 0, "");
  return 0;
}
