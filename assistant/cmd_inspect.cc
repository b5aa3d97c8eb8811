// parley inspect FILE: what a model file is and which Parley engine runs it.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "assistant/commands.h"
#include "kernels/error.h"
#include "kernels/onnx/model.h"
#include "llm/architecture.h"
#include "llm/chat_template.h"
#include "llm/gguf.h"

namespace parley::assistant {
namespace {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

void inspect_gguf(const std::string& path) {
  llm::GgufFile gguf(path);
  const std::string arch(gguf.find_string("general.architecture").value_or("(none)"));
  std::printf("file:          %s\n", path.c_str());
  std::printf("format:        GGUF v%u, %s, alignment %u\n", gguf.version(),
              human_bytes(static_cast<double>(gguf.file_size_bytes())).c_str(), gguf.alignment_bytes());
  if (auto name = gguf.find_string("general.name")) std::printf("name:          %.*s\n", int(name->size()), name->data());
  std::printf("architecture:  %s\n", arch.c_str());
  int64_t parameters = 0;
  std::map<std::string, std::pair<int, uint64_t>> mix;  // dtype -> tensors, bytes
  for (const llm::GgufTensorInfo& t : gguf.tensors()) {
    parameters += t.element_count;
    auto& entry = mix[std::string(kernels::dtype_name(t.dtype))];
    entry.first += 1;
    entry.second += t.size_bytes;
  }
  std::printf("parameters:    %lld (%.2f M), %zu tensors\n", static_cast<long long>(parameters),
              static_cast<double>(parameters) / 1e6, gguf.tensors().size());
  std::printf("quantization: ");
  for (const auto& [type, entry] : mix)
    std::printf(" %s x%d (%s)", type.c_str(), entry.first, human_bytes(static_cast<double>(entry.second)).c_str());
  std::printf("\n");
  if (auto ctx = gguf.find_u32(arch + ".context_length")) std::printf("context:       %u tokens\n", *ctx);
  if (auto layers = gguf.find_u32(arch + ".block_count")) std::printf("layers:        %u\n", *layers);
  if (auto model = gguf.find_string("tokenizer.ggml.model")) {
    const auto* tokens = gguf.find_array_strings("tokenizer.ggml.tokens");
    const std::string pre(gguf.find_string("tokenizer.ggml.pre").value_or(""));
    std::printf("tokenizer:     %.*s%s%s, %zu tokens\n", int(model->size()), model->data(),
                pre.empty() ? "" : ", pre-tokenizer ", pre.c_str(), tokens ? tokens->size() : size_t{0});
  }
  const auto chat_template = gguf.find_string("tokenizer.chat_template");
  std::printf("chat template: %s\n",
              chat_template ? std::string(llm::chat_format_name(llm::detect_chat_format(chat_template))).c_str()
                            : "none (plain User:/Assistant: fallback)");
  if (llm::find_architecture(arch) != nullptr) {
    std::printf("engine:        llm (Parley GGUF runner)\n");
  } else {
    std::printf("engine:        none — architecture '%s' is not supported yet\n", arch.c_str());
  }
}

void inspect(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string(magic, 4) == "GGUF") {
    inspect_gguf(path);
    return;
  }
  if (path.ends_with(".onnx")) {
    std::fputs(onnx::describe_model_file(path).c_str(), stdout);
    return;
  }
  throw Error(path + ": not a model format Parley recognises (expected GGUF or .onnx)");
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("inspect", "Describe a model file: format, architecture, size, quantization, engine");
  cmd->add_option("file", *path, "Model file")->required();
  cmd->callback([path] { inspect(*path); });
}

}  // namespace parley::assistant
