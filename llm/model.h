// Model: an immutable GGUF decoder-only language model — hyper-parameters, weight views into
// the mapped file (zero copy), tokenizer. Shared read-only by any number of Sessions.
//
//   auto model = llm::Model::load("stories260K-f32.gguf");    // throws parley::Error
//   llm::Session session(*model, {.context_length = 2048});
//
// Architectures are described by an ArchitectureSpec (architecture.h); `llama` and `qwen2`
// are registered. Every weight dtype of kernels/ is accepted, mixed within one file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/tensor.h"
#include "llm/architecture.h"
#include "llm/gguf.h"
#include "llm/tokenizer.h"

namespace parley::llm {

struct HyperParams {
  int32_t n_vocab = 0;
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;
  int32_t n_ff = 0;
  int32_t context_length_trained = 0;
  int32_t rope_dims = 0;          // leading dims of each head that are rotated
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;   // 1 / linear scaling factor
  float rms_norm_eps = 1e-5f;
};

struct LayerWeights {
  kernels::Tensor attn_norm, wq, wk, wv, wo;
  kernels::Tensor bq, bk, bv;  // empty (data() == nullptr) when the architecture has none
  kernels::Tensor ffn_norm, w_gate, w_up, w_down;
};

class Model {
 public:
  static std::unique_ptr<Model> load(const std::string& path);

  const GgufFile& gguf() const { return gguf_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const HyperParams& hparams() const { return hparams_; }
  const ArchitectureSpec& architecture() const { return *architecture_; }
  const kernels::Tensor& token_embedding() const { return token_embedding_; }
  const kernels::Tensor& output_norm() const { return output_norm_; }
  const kernels::Tensor& output() const { return output_; }  // token_embedding when tied
  const std::vector<LayerWeights>& layers() const { return layers_; }
  int64_t parameter_count() const { return parameter_count_; }

 private:
  explicit Model(GgufFile gguf);
  void read_hyper_params();
  void bind_weights();
  kernels::Tensor weight(const std::string& name, std::initializer_list<int64_t> shape,
                         bool required = true);

  GgufFile gguf_;
  const ArchitectureSpec* architecture_ = nullptr;
  HyperParams hparams_;
  std::unique_ptr<Tokenizer> tokenizer_;
  kernels::Tensor token_embedding_, output_norm_, output_;
  std::vector<LayerWeights> layers_;
  int64_t parameter_count_ = 0;
};

}  // namespace parley::llm
