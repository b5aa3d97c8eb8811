// parley quantize IN.gguf OUT.gguf TYPE [--allow-requantize] [-v]: quantize a GGUF with
// llama.cpp's per-tensor mixes (Q8_0, Q4_0, Q6_K, Q4_K_M, Q5_K_M; llm/quantize_model.h).
#include <cstdio>
#include <memory>
#include <string>

#include "assistant/commands.h"
#include "kernels/error.h"
#include "llm/quantize_model.h"

namespace parley::assistant {

void add_quantize_command(CLI::App& app) {
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>();
  auto allow_requantize = std::make_shared<bool>(false);
  auto verbose = std::make_shared<bool>(false);
  std::string names;
  for (std::string_view n : llm::quant_mix_names())
    names += (names.empty() ? "" : ", ") + std::string(n);
  CLI::App* cmd = app.add_subcommand("quantize", "Quantize a GGUF model (" + names + ")");
  cmd->add_option("IN", *input, "Input GGUF (f32, f16 or bf16)")->required();
  cmd->add_option("OUT", *output, "Output GGUF")->required();
  cmd->add_option("TYPE", *type, "Quantization: " + names)->required();
  cmd->add_flag("--allow-requantize", *allow_requantize,
                "Allow inputs whose tensors are already quantized");
  cmd->add_flag("-v,--verbose", *verbose, "Print the type chosen for every tensor");
  cmd->callback([=] {
    const auto mix = llm::quant_mix_from_name(*type);
    if (!mix) throw Error("unknown quantization type '" + *type + "' (known: " + names + ")");
    llm::QuantizeOptions options;
    options.allow_requantize = *allow_requantize;
    if (*verbose)
      options.log = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
    const llm::QuantizeSummary s = llm::quantize_gguf(*input, *output, *mix, options);
    std::string mixdesc;
    for (const auto& [t, n] : s.type_counts) mixdesc += " " + t + " x" + std::to_string(n);
    std::printf("wrote %s (%s): %lld tensors, %.2f MiB -> %.2f MiB;%s\n", output->c_str(),
                std::string(llm::quant_mix_info(*mix).name).c_str(),
                static_cast<long long>(s.tensor_count),
                static_cast<double>(s.input_bytes) / (1 << 20),
                static_cast<double>(s.output_bytes) / (1 << 20), mixdesc.c_str());
  });
}

}  // namespace parley::assistant
