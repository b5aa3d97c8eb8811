// parley random-gguf: write a random-weight GGUF of a real llama-family shape (for benchmarks).
#include <cstdio>
#include <memory>
#include <string>

#include "assistant/commands.h"
#include "llm/random_model.h"

namespace parley::assistant {

void add_random_gguf_command(CLI::App& app) {
  auto shape = std::make_shared<std::string>("tinyllama-1.1b");
  auto type = std::make_shared<std::string>("q4_0");
  auto output = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(1);
  std::string shapes;
  for (const auto& s : llm::random_model_shapes()) shapes += (shapes.empty() ? "" : ", ") + s;
  CLI::App* cmd = app.add_subcommand("random-gguf", "Write a GGUF of a real model shape with random weights (speed tests without downloads)");
  cmd->add_option("--shape", *shape, "Model shape: " + shapes)->capture_default_str();
  cmd->add_option("--type", *type, "Weight type: a dtype (q4_0, q8_0, q4_K, f16, ...) or q4_k_m / q5_k_m")->capture_default_str();
  cmd->add_option("--seed", *seed, "Random seed")->capture_default_str();
  cmd->add_option("-o,--output", *output, "Output file")->required();
  cmd->callback([=] {
    llm::RandomModelSpec spec = llm::random_model_shape(*shape);
    spec.weight_type = *type;
    spec.seed = *seed;
    llm::write_random_model(spec, *output);
    std::printf("wrote %s (%s, %s)\n", output->c_str(), shape->c_str(), type->c_str());
  });
}

}  // namespace parley::assistant
