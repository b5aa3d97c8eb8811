// Hugging Face config.json of a decoder-only model, read into the hyper-parameters GGUF needs.
//
// Supported: LlamaForCausalLM and MistralForCausalLM (GGUF architecture `llama`), Qwen2ForCausalLM
// (`qwen2`). Required fields (hidden_size, intermediate_size, num_hidden_layers,
// num_attention_heads, vocab_size) and every field's type and range are checked; a problem
// throws parley::Error naming the file and the field, e.g.
//   "m/config.json: field 'num_attention_heads' is missing"
//   "m/config.json: architecture 'GPT2LMHeadModel' is not supported (supported: ...)"
// Defaults follow transformers' config classes (num_key_value_heads = num_attention_heads,
// rope_theta 10000, rms_norm_eps 1e-6, tie_word_embeddings false).
//
//   llm::HfConfig config = llm::read_hf_config("hf_model_dir");
//   if (config.architecture == "qwen2") ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::llm {

struct HfConfig {
  std::string path;             // .../config.json (for messages)
  std::string architecture;     // GGUF general.architecture: "llama" or "qwen2"
  std::string hf_architecture;  // e.g. "LlamaForCausalLM"
  std::string name;             // _name_or_path, else the folder name
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_attention_heads unless given
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  std::optional<double> rope_linear_factor;  // rope_scaling {"type": "linear", "factor": F}
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // llama's optional q/k/v/o biases (not supported by the runtime)
  std::optional<int64_t> bos_token_id, eos_token_id, pad_token_id;
};

// Reads DIR/config.json. Throws parley::Error naming the file and field on any problem.
HfConfig read_hf_config(const std::string& dir);
// The HF architecture names read_hf_config accepts.
std::vector<std::string> supported_hf_architectures();

}  // namespace parley::llm
