#include "llm/session.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/error.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"

namespace parley::llm {

using kernels::DType;
using kernels::Tensor;

void SessionConfig::validate() const {
  if (context_length < 0) throw Error("session: context_length must be >= 0");
  if (kv_type != DType::F16 && kv_type != DType::F32)
    throw Error("session: kv_type must be f16 or f32, not " + std::string(kernels::dtype_name(kv_type)));
  if (max_batch < 1 || max_batch > 4096) throw Error("session: max_batch must be in 1..4096");
}

Session::Session(const Model& model, kernels::ThreadPool& pool, SessionConfig config)
    : model_(model), pool_(pool), config_(config) {
  config_.validate();
  const HyperParams& h = model.hparams();
  if (config_.context_length == 0) config_.context_length = std::min(h.context_length_trained, 4096);
  const int64_t n_ctx = config_.context_length;
  const int64_t batch = config_.max_batch;
  const int64_t kv_row_bytes = kernels::row_bytes(config_.kv_type, h.head_dim);
  for (int32_t l = 0; l < h.n_layer; ++l) {
    k_cache_.emplace_back(static_cast<size_t>(h.n_head_kv * n_ctx * kv_row_bytes));
    v_cache_.emplace_back(static_cast<size_t>(h.n_head_kv * n_ctx * kv_row_bytes));
  }
  const int64_t q_dim = int64_t{h.n_head} * h.head_dim;
  const int64_t kv_dim = int64_t{h.n_head_kv} * h.head_dim;
  auto floats = [](int64_t n) { return kernels::AlignedBuffer(static_cast<size_t>(n) * 4); };
  x_ = floats(batch * h.n_embd);
  xn_ = floats(batch * h.n_embd);
  q_ = floats(batch * q_dim);
  k_ = floats(batch * kv_dim);
  v_ = floats(batch * kv_dim);
  attn_ = floats(batch * q_dim);
  gate_ = floats(batch * h.n_ff);
  up_ = floats(batch * h.n_ff);
  logits_ = floats(batch * h.n_vocab);
  scores_.assign(static_cast<size_t>(pool.thread_count()), std::vector<float>(static_cast<size_t>(n_ctx)));
  positions_.resize(static_cast<size_t>(batch));
  rope_.rotary_dims = h.rope_dims;
  rope_.freq_base = h.rope_freq_base;
  rope_.freq_scale = h.rope_freq_scale;
  rope_.layout = model.architecture().rope_layout;
  tokens_.reserve(static_cast<size_t>(n_ctx));
}

void Session::rewind(int32_t position) {
  if (position < 0 || position > position_)
    throw Error("session: cannot rewind to " + std::to_string(position) + " (position is " +
                std::to_string(position_) + ")");
  position_ = position;
  tokens_.resize(static_cast<size_t>(position));
}

std::span<const float> Session::decode(std::span<const int32_t> tokens) {
  return run(tokens, nullptr);
}

std::span<const float> Session::decode_all_logits(std::span<const int32_t> tokens,
                                                  std::vector<float>& all_logits) {
  all_logits.assign(tokens.size() * static_cast<size_t>(model_.hparams().n_vocab), 0.0f);
  return run(tokens, &all_logits);
}

std::span<const float> Session::run(std::span<const int32_t> tokens, std::vector<float>* all_logits) {
  cancel_requested_.store(false, std::memory_order_relaxed);
  const HyperParams& h = model_.hparams();
  if (tokens.empty()) throw Error("session: decode() needs at least one token");
  if (static_cast<int64_t>(position_) + static_cast<int64_t>(tokens.size()) > config_.context_length) {
    throw Error("session: context is full (" + std::to_string(position_) + " + " +
                std::to_string(tokens.size()) + " tokens > context_length " +
                std::to_string(config_.context_length) + ")");
  }
  for (int32_t t : tokens) {
    if (t < 0 || t >= h.n_vocab)
      throw Error("session: token id " + std::to_string(t) + " outside the vocabulary (" +
                  std::to_string(h.n_vocab) + ")");
  }
  const int32_t start_position = position_;
  int32_t last_count = 0;
  for (size_t done = 0; done < tokens.size();) {
    const int32_t count = static_cast<int32_t>(std::min<size_t>(tokens.size() - done, config_.max_batch));
    if (!forward_chunk(tokens.data() + done, count, all_logits, done)) {
      rewind(start_position);
      return {};
    }
    tokens_.insert(tokens_.end(), tokens.begin() + static_cast<ptrdiff_t>(done),
                   tokens.begin() + static_cast<ptrdiff_t>(done + count));
    position_ += count;
    done += static_cast<size_t>(count);
    last_count = count;
  }
  const float* last = logits_.as<float>() + static_cast<int64_t>(all_logits ? last_count - 1 : 0) * h.n_vocab;
  return {last, static_cast<size_t>(h.n_vocab)};
}

Tensor Session::cache_view(const kernels::AlignedBuffer& cache, int) const {
  const HyperParams& h = model_.hparams();
  return Tensor::contiguous(cache.data(), config_.kv_type,
                            {h.n_head_kv, config_.context_length, h.head_dim});
}

void Session::attention(int layer, int32_t count) {
  const HyperParams& h = model_.hparams();
  const Tensor k_cache = cache_view(k_cache_[static_cast<size_t>(layer)], layer);
  const Tensor v_cache = cache_view(v_cache_[static_cast<size_t>(layer)], layer);
  const int64_t group = h.n_head / h.n_head_kv;
  const Tensor q_all = Tensor::contiguous(q_.data(), DType::F32, {count, h.n_head, h.head_dim});
  const Tensor out_all = Tensor::contiguous(attn_.data(), DType::F32, {count, h.n_head, h.head_dim});
  // One task per (token, kv head): its query heads attend to that kv head's cache rows.
  pool_.parallel_for(int64_t{count} * h.n_head_kv, [&](int64_t begin, int64_t end, int worker) {
    std::vector<float>& scores = scores_[static_cast<size_t>(worker)];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / h.n_head_kv;
      const int64_t g = task % h.n_head_kv;
      const int64_t position = position_ + t;
      const Tensor q = Tensor::contiguous(q_all.at({t, g * group}), DType::F32, {group, h.head_dim});
      const Tensor out = Tensor::contiguous(out_all.at({t, g * group}), DType::F32, {group, h.head_dim});
      kernels::attention_decode(q, k_cache.slice(0, g, g + 1), v_cache.slice(0, g, g + 1), position,
                                {scores.data(), static_cast<size_t>(position + 1)}, out);
    }
  });
}

bool Session::forward_chunk(const int32_t* tokens, int32_t count, std::vector<float>* all_logits,
                            size_t all_logits_offset) {
  const HyperParams& h = model_.hparams();
  const kernels::KernelTable& k = kernels::kernels();
  const int64_t d = h.n_embd;
  const int64_t q_dim = int64_t{h.n_head} * h.head_dim;
  const int64_t kv_dim = int64_t{h.n_head_kv} * h.head_dim;
  const int64_t kv_row_bytes = kernels::row_bytes(config_.kv_type, h.head_dim);
  const kernels::FromFloatFn to_kv = kernels::dtype_traits(config_.kv_type).from_float;
  float* x = x_.as<float>();
  float* xn = xn_.as<float>();
  auto mat = [&](kernels::AlignedBuffer& buffer, int64_t cols) {
    return Tensor::contiguous(buffer.data(), DType::F32, {count, cols});
  };
  auto linear = [&](const Tensor& w, kernels::AlignedBuffer& in, int64_t in_cols,
                    kernels::AlignedBuffer& out) {
    kernels::matmul(w, mat(in, in_cols), mat(out, w.dim(0)), pool_, arena_);
    arena_.reset();
  };
  auto add_bias = [&](const Tensor& bias, kernels::AlignedBuffer& rows, int64_t cols) {
    if (bias.data() == nullptr) return;
    for (int32_t t = 0; t < count; ++t)
      k.binary[int(kernels::BinaryOp::Add)](cols, rows.as<float>() + t * cols, bias.data_as<float>(),
                                            rows.as<float>() + t * cols);
  };

  // Token embeddings, dequantized row by row.
  const Tensor& embd = model_.token_embedding();
  const kernels::ToFloatFn embd_to_float = k.dequantize_row[kernels::slot(embd.dtype())];
  for (int32_t t = 0; t < count; ++t) embd_to_float(embd.at({tokens[t]}), x + t * d, d);
  for (int32_t t = 0; t < count; ++t) positions_[static_cast<size_t>(t)] = position_ + t;

  for (int32_t l = 0; l < h.n_layer; ++l) {
    if (cancel_requested_.load(std::memory_order_relaxed)) return false;
    const LayerWeights& w = model_.layers()[static_cast<size_t>(l)];
    // Attention block.
    for (int32_t t = 0; t < count; ++t)
      k.rms_norm(d, x + t * d, w.attn_norm.data_as<float>(), h.rms_norm_eps, xn + t * d);
    linear(w.wq, xn_, d, q_);
    linear(w.wk, xn_, d, k_);
    linear(w.wv, xn_, d, v_);
    add_bias(w.bq, q_, q_dim);
    add_bias(w.bk, k_, kv_dim);
    add_bias(w.bv, v_, kv_dim);
    const std::span<const int64_t> positions(positions_.data(), static_cast<size_t>(count));
    const Tensor q3 = Tensor::contiguous(q_.data(), DType::F32, {count, h.n_head, h.head_dim});
    const Tensor k3 = Tensor::contiguous(k_.data(), DType::F32, {count, h.n_head_kv, h.head_dim});
    kernels::rope_tokens(q3, positions, rope_, q3);
    kernels::rope_tokens(k3, positions, rope_, k3);
    // Append K and V to the cache: layout [n_kv, n_ctx, head_dim].
    uint8_t* kc = k_cache_[static_cast<size_t>(l)].data();
    uint8_t* vc = v_cache_[static_cast<size_t>(l)].data();
    for (int32_t t = 0; t < count; ++t) {
      for (int32_t g = 0; g < h.n_head_kv; ++g) {
        const int64_t row = int64_t{g} * config_.context_length + position_ + t;
        to_kv(k_.as<float>() + t * kv_dim + g * h.head_dim, kc + row * kv_row_bytes, h.head_dim);
        to_kv(v_.as<float>() + t * kv_dim + g * h.head_dim, vc + row * kv_row_bytes, h.head_dim);
      }
    }
    attention(l, count);
    linear(w.wo, attn_, q_dim, xn_);
    for (int32_t t = 0; t < count; ++t)
      k.binary[int(kernels::BinaryOp::Add)](d, x + t * d, xn + t * d, x + t * d);

    // Feed-forward block (SwiGLU).
    for (int32_t t = 0; t < count; ++t)
      k.rms_norm(d, x + t * d, w.ffn_norm.data_as<float>(), h.rms_norm_eps, xn + t * d);
    linear(w.w_gate, xn_, d, gate_);
    linear(w.w_up, xn_, d, up_);
    float* gate = gate_.as<float>();
    const float* up = up_.as<float>();
    k.unary[int(kernels::UnaryOp::Silu)](count * h.n_ff, gate, gate);
    k.binary[int(kernels::BinaryOp::Mul)](count * h.n_ff, gate, up, gate);
    linear(w.w_down, gate_, h.n_ff, xn_);
    for (int32_t t = 0; t < count; ++t)
      k.binary[int(kernels::BinaryOp::Add)](d, x + t * d, xn + t * d, x + t * d);
  }
  if (cancel_requested_.load(std::memory_order_relaxed)) return false;

  // Output: every position when asked for, else only the last.
  const int32_t first = all_logits ? 0 : count - 1;
  const int32_t rows = count - first;
  for (int32_t t = first; t < count; ++t)
    k.rms_norm(d, x + t * d, model_.output_norm().data_as<float>(), h.rms_norm_eps, xn + (t - first) * d);
  const Tensor xs = Tensor::contiguous(xn, DType::F32, {rows, d});
  const Tensor ys = Tensor::contiguous(logits_.data(), DType::F32, {rows, h.n_vocab});
  kernels::matmul(model_.output(), xs, ys, pool_, arena_);
  arena_.reset();
  if (all_logits) {
    std::memcpy(all_logits->data() + all_logits_offset * static_cast<size_t>(h.n_vocab),
                logits_.data(), static_cast<size_t>(rows) * h.n_vocab * sizeof(float));
  }
  return true;
}

}  // namespace parley::llm
