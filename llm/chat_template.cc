#include "llm/chat_template.h"

namespace parley::llm {

std::string_view last_user_message(const std::vector<ChatMessage>& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role == "user") return it->content;
  }
  return {};
}

ChatFormat detect_chat_format(std::optional<std::string_view> t) {
  if (!t || t->empty()) return ChatFormat::Plain;
  auto has = [&](std::string_view s) { return t->find(s) != std::string_view::npos; };
  if (has("<|start_header_id|>")) return ChatFormat::Llama3;
  if (has("<|im_start|>")) return ChatFormat::ChatML;
  if (has("<start_of_turn>")) return ChatFormat::Gemma;
  if (has("<|user|>") && has("<|end|>")) return ChatFormat::Phi3;
  if (has("<|user|>")) return ChatFormat::Zephyr;
  if (has("[INST]")) return ChatFormat::Llama2;
  return ChatFormat::Plain;
}

std::string_view chat_format_name(ChatFormat format) {
  switch (format) {
    case ChatFormat::Plain: return "plain";
    case ChatFormat::Llama3: return "llama-3";
    case ChatFormat::ChatML: return "chatml";
    case ChatFormat::Zephyr: return "zephyr";
    case ChatFormat::Phi3: return "phi-3";
    case ChatFormat::Llama2: return "llama-2";
    case ChatFormat::Gemma: return "gemma";
  }
  return "unknown";
}

namespace {

// System text merged into the first user turn, for formats without a system role.
std::vector<ChatMessage> fold_system(const std::vector<ChatMessage>& messages) {
  std::vector<ChatMessage> out;
  std::string system;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      system += (system.empty() ? "" : "\n") + m.content;
    } else if (m.role == "user" && !system.empty()) {
      out.push_back({m.role, system + "\n\n" + m.content});
      system.clear();
    } else {
      out.push_back(m);
    }
  }
  return out;
}

}  // namespace

std::string render_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt, std::string_view bos) {
  std::string s;
  switch (format) {
    case ChatFormat::Llama3:
      s += bos;
      for (const ChatMessage& m : messages)
        s += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
      if (add_generation_prompt) s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case ChatFormat::ChatML:
      for (const ChatMessage& m : messages)
        s += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) s += "<|im_start|>assistant\n";
      break;
    case ChatFormat::Zephyr:
      for (const ChatMessage& m : messages) s += "<|" + m.role + "|>\n" + m.content + "</s>\n";
      if (add_generation_prompt) s += "<|assistant|>\n";
      break;
    case ChatFormat::Phi3:
      for (const ChatMessage& m : fold_system(messages))
        s += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
      if (add_generation_prompt) s += "<|assistant|>\n";
      break;
    case ChatFormat::Gemma:
      s += bos;
      for (const ChatMessage& m : fold_system(messages)) {
        const std::string role = m.role == "assistant" ? "model" : m.role;
        s += "<start_of_turn>" + role + "\n" + m.content + "<end_of_turn>\n";
      }
      if (add_generation_prompt) s += "<start_of_turn>model\n";
      break;
    case ChatFormat::Llama2: {
      // <s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nuser [/INST] answer </s><s>[INST] user2 [/INST]
      std::string system;
      bool first_user = true;
      for (const ChatMessage& m : messages) {
        if (m.role == "system") {
          system = m.content;
        } else if (m.role == "user") {
          s += std::string(bos) + "[INST] ";
          if (first_user && !system.empty()) s += "<<SYS>>\n" + system + "\n<</SYS>>\n\n";
          first_user = false;
          s += m.content + " [/INST]";
        } else {
          s += " " + m.content + " </s>";
        }
      }
      break;
    }
    case ChatFormat::Plain:
      for (const ChatMessage& m : messages) {
        if (m.role == "system") {
          s += m.content + "\n\n";
        } else {
          s += (m.role == "user" ? "User: " : "Assistant: ") + m.content + "\n";
        }
      }
      if (add_generation_prompt) s += "Assistant:";
      break;
  }
  return s;
}

}  // namespace parley::llm
