// parley convert HF_DIR -o OUT.gguf [--type f16|bf16|f32] [--name NAME]: a Hugging Face model
// folder (config.json, *.safetensors, tokenizer.model or tokenizer.json, tokenizer_config.json)
// of the llama or qwen2 family → GGUF (llm/convert.h).
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>

#include "assistant/commands.h"
#include "kernels/error.h"
#include "llm/convert.h"

namespace parley::assistant {

void add_convert_command(CLI::App& app) {
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>("f16");
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a Hugging Face llama/qwen2 folder (safetensors) to GGUF");
  cmd->add_option("HF_DIR", *input,
                  "Model folder: config.json, model.safetensors (or shards + index), tokenizer")
      ->required();
  cmd->add_option("-o,--output", *output, "Output GGUF file")->required();
  cmd->add_option("--type", *type, "Matrix type: f16, bf16 or f32 (norms and biases stay f32)")
      ->check(CLI::IsMember({"f16", "bf16", "f32"}, CLI::ignore_case))
      ->capture_default_str();
  cmd->add_option("--name", *name, "general.name (default: from config.json or the folder name)");
  cmd->callback([=] {
    llm::ConvertOptions options;
    std::string lower = *type;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const auto dtype = kernels::dtype_from_name(lower);
    if (!dtype) throw Error("--type must be f16, bf16 or f32, not '" + *type + "'");
    options.type = *dtype;
    options.name = *name;
    options.log = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
    const llm::ConvertSummary s = llm::convert_hf_to_gguf(*input, *output, options);
    std::printf("wrote %s (%s, %lld tensors, %lld parameters, vocabulary %lld)\n", output->c_str(),
                s.architecture.c_str(), static_cast<long long>(s.tensor_count),
                static_cast<long long>(s.parameter_count), static_cast<long long>(s.n_vocab));
  });
}

}  // namespace parley::assistant
