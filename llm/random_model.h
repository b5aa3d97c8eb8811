// Random-weight GGUF models of real llama-family shapes, so speed on real-sized models can be
// measured without downloading them (`parley random-gguf`). The weights are random (Gaussian,
// scaled like an initialised network); the tokenizer is a placeholder SentencePiece vocabulary
// (byte tokens + filler pieces). Outputs are meaningless; sizes, dtypes and shapes are real.
//
//   llm::RandomModelSpec spec = llm::random_model_shape("tinyllama-1.1b");
//   spec.weight_type = "q4_k_m";            // a dtype name, or q4_k_m / q5_k_m mixes
//   llm::write_random_model(spec, "tinyllama-q4_k_m.gguf");
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::llm {

struct RandomModelSpec {
  std::string name = "custom";
  int32_t n_vocab = 32000;
  int32_t n_embd = 2048;
  int32_t n_layer = 22;
  int32_t n_head = 32;
  int32_t n_head_kv = 4;
  int32_t n_ff = 5632;
  int32_t context_length = 2048;
  std::string weight_type = "q4_0";
  uint64_t seed = 1;
  std::string chat_template;  // tokenizer.chat_template; "" = none
};

// Known shapes: tinyllama-1.1b, smollm-135m, smollm-360m, llama-7b. Throws parley::Error for
// other names, listing the known ones.
RandomModelSpec random_model_shape(const std::string& shape);
std::vector<std::string> random_model_shapes();
void write_random_model(const RandomModelSpec& spec, const std::string& path);

}  // namespace parley::llm
