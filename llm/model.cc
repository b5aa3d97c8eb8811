#include "llm/model.h"

#include <limits>

#include "kernels/error.h"

namespace parley::llm {
namespace {

int32_t checked_count(const GgufFile& gguf, const std::string& key, int64_t value,
                      int64_t max_value) {
  if (value <= 0 || value > max_value) {
    throw Error(gguf.name() + ": metadata '" + key + "' = " + std::to_string(value) +
                " is out of range (1.." + std::to_string(max_value) + ")");
  }
  return static_cast<int32_t>(value);
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& path) {
  std::unique_ptr<Model> model(new Model(GgufFile(path)));
  return model;
}

Model::Model(GgufFile gguf) : gguf_(std::move(gguf)) {
  const std::string_view arch_name = gguf_.get_string("general.architecture");
  architecture_ = find_architecture(arch_name);
  if (architecture_ == nullptr) {
    std::string supported;
    for (std::string_view n : supported_architectures()) supported += (supported.empty() ? "" : ", ") + std::string(n);
    throw Error(gguf_.name() + ": architecture '" + std::string(arch_name) +
                "' is not supported (supported: " + supported + ")");
  }
  tokenizer_ = std::make_unique<Tokenizer>(gguf_);
  read_hyper_params();
  bind_weights();
}

void Model::read_hyper_params() {
  const std::string a = std::string(architecture_->name) + ".";
  auto u32 = [&](const std::string& key, int64_t max_value) {
    return checked_count(gguf_, a + key, gguf_.get_u32(a + key), max_value);
  };
  HyperParams& h = hparams_;
  h.n_embd = u32("embedding_length", 1 << 16);
  h.n_layer = u32("block_count", 1024);
  h.n_ff = u32("feed_forward_length", 1 << 18);
  h.n_head = u32("attention.head_count", 1024);
  h.n_head_kv = h.n_head;
  if (auto kv = gguf_.find_u32(a + "attention.head_count_kv"))
    h.n_head_kv = checked_count(gguf_, a + "attention.head_count_kv", *kv, h.n_head);
  if (h.n_head % h.n_head_kv != 0) {
    throw Error(gguf_.name() + ": attention.head_count " + std::to_string(h.n_head) +
                " is not a multiple of attention.head_count_kv " + std::to_string(h.n_head_kv));
  }
  h.head_dim = h.n_embd / h.n_head;
  if (auto key_length = gguf_.find_u32(a + "attention.key_length"))
    h.head_dim = checked_count(gguf_, a + "attention.key_length", *key_length, 1 << 12);
  if (h.head_dim % 2 != 0) throw Error(gguf_.name() + ": head dimension must be even");
  h.context_length_trained = 2048;
  if (auto ctx = gguf_.find_u32(a + "context_length"))
    h.context_length_trained = checked_count(gguf_, a + "context_length", *ctx, 1 << 24);
  h.rope_dims = h.head_dim;
  if (auto dims = gguf_.find_u32(a + "rope.dimension_count"))
    h.rope_dims = checked_count(gguf_, a + "rope.dimension_count", *dims, h.head_dim);
  if (auto base = gguf_.find_f32(a + "rope.freq_base")) h.rope_freq_base = *base;
  if (!(h.rope_freq_base > 0)) throw Error(gguf_.name() + ": rope.freq_base must be > 0");
  if (auto type = gguf_.find_string(a + "rope.scaling.type")) {
    if (*type == "linear") {
      const float factor = gguf_.get_f32(a + "rope.scaling.factor");
      if (!(factor > 0)) throw Error(gguf_.name() + ": rope.scaling.factor must be > 0");
      h.rope_freq_scale = 1.0f / factor;
    } else if (*type != "none") {
      throw Error(gguf_.name() + ": rope.scaling.type '" + std::string(*type) +
                  "' is not supported (linear, none)");
    }
  }
  if (auto eps = gguf_.find_f32(a + "attention.layer_norm_rms_epsilon")) h.rms_norm_eps = *eps;
  h.n_vocab = static_cast<int32_t>(tokenizer_->vocab_size());
}

kernels::Tensor Model::weight(const std::string& name, std::initializer_list<int64_t> shape,
                              bool required) {
  const GgufTensorInfo* info = gguf_.find_tensor(name);
  if (info == nullptr) {
    if (required) throw Error(gguf_.name() + ": tensor '" + name + "' is missing");
    return {};
  }
  const kernels::Tensor& t = info->view;
  bool same = t.ndim() == static_cast<int>(shape.size());
  int axis = 0;
  std::string expected;
  for (int64_t d : shape) {
    same = same && t.dim(axis) == d;
    expected += (axis++ ? ", " : "") + std::to_string(d);
  }
  if (!same) {
    throw Error(gguf_.name() + ": tensor '" + name + "' has shape " + t.describe() +
                ", expected [" + expected + "]");
  }
  parameter_count_ += t.element_count();
  return t;
}

void Model::bind_weights() {
  const HyperParams& h = hparams_;
  const int64_t q_dim = int64_t{h.n_head} * h.head_dim;
  const int64_t kv_dim = int64_t{h.n_head_kv} * h.head_dim;
  token_embedding_ = weight("token_embd.weight", {h.n_vocab, h.n_embd});
  output_norm_ = weight("output_norm.weight", {h.n_embd});
  output_ = weight("output.weight", {h.n_vocab, h.n_embd}, /*required=*/false);
  if (output_.data() == nullptr) output_ = token_embedding_;  // tied embeddings
  layers_.resize(static_cast<size_t>(h.n_layer));
  for (int32_t i = 0; i < h.n_layer; ++i) {
    LayerWeights& l = layers_[static_cast<size_t>(i)];
    const std::string p = "blk." + std::to_string(i) + ".";
    l.attn_norm = weight(p + "attn_norm.weight", {h.n_embd});
    l.wq = weight(p + "attn_q.weight", {q_dim, h.n_embd});
    l.wk = weight(p + "attn_k.weight", {kv_dim, h.n_embd});
    l.wv = weight(p + "attn_v.weight", {kv_dim, h.n_embd});
    l.wo = weight(p + "attn_output.weight", {h.n_embd, q_dim});
    if (architecture_->has_qkv_bias) {
      l.bq = weight(p + "attn_q.bias", {q_dim});
      l.bk = weight(p + "attn_k.bias", {kv_dim});
      l.bv = weight(p + "attn_v.bias", {kv_dim});
    }
    l.ffn_norm = weight(p + "ffn_norm.weight", {h.n_embd});
    l.w_gate = weight(p + "ffn_gate.weight", {h.n_ff, h.n_embd});
    l.w_up = weight(p + "ffn_up.weight", {h.n_ff, h.n_embd});
    l.w_down = weight(p + "ffn_down.weight", {h.n_embd, h.n_ff});
  }
  // Small vectors (norms, biases) are read as f32 rows by the forward pass.
  auto require_f32 = [&](const kernels::Tensor& t, const std::string& what) {
    if (t.data() != nullptr && t.dtype() != kernels::DType::F32)
      throw Error(gguf_.name() + ": " + what + " must be f32, found " +
                  std::string(kernels::dtype_name(t.dtype())));
  };
  require_f32(output_norm_, "output_norm.weight");
  for (size_t i = 0; i < layers_.size(); ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    require_f32(layers_[i].attn_norm, p + "attn_norm.weight");
    require_f32(layers_[i].ffn_norm, p + "ffn_norm.weight");
    require_f32(layers_[i].bq, p + "attn_q.bias");
    require_f32(layers_[i].bk, p + "attn_k.bias");
    require_f32(layers_[i].bv, p + "attn_v.bias");
  }
}

}  // namespace parley::llm
