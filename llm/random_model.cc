#include "llm/random_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>

#include "kernels/dtype.h"
#include "kernels/error.h"
#include "llm/gguf_writer.h"
#include "llm/quantize_model.h"

namespace parley::llm {
namespace {

using kernels::DType;

struct Shape {
  const char* name;
  int32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, context_length;
};
constexpr Shape kShapes[] = {
    {"tinyllama-1.1b", 32000, 2048, 22, 32, 4, 5632, 2048},
    {"smollm-135m", 49152, 576, 30, 9, 3, 1536, 2048},
    {"smollm-360m", 49152, 960, 32, 15, 5, 2560, 2048},
    {"llama-7b", 32000, 4096, 32, 32, 32, 11008, 4096},
};

// Quantizes `rows` rows of Gaussian values of standard deviation `scale`. Only 64 distinct rows
// are quantized and then repeated, which keeps generation fast for billion-parameter shapes.
std::vector<uint8_t> random_matrix(DType type, int64_t rows, int64_t cols, float scale,
                                   std::mt19937_64& rng) {
  const int64_t row_bytes = kernels::row_bytes(type, cols);
  std::vector<uint8_t> data(static_cast<size_t>(rows * row_bytes));
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> row(static_cast<size_t>(cols));
  const int64_t distinct = std::min<int64_t>(rows, 64);
  for (int64_t r = 0; r < distinct; ++r) {
    for (float& v : row) v = normal(rng);
    kernels::dtype_traits(type).from_float(row.data(), data.data() + r * row_bytes, cols);
  }
  for (int64_t r = distinct; r < rows; ++r)
    std::copy_n(data.data() + (r % distinct) * row_bytes, row_bytes, data.data() + r * row_bytes);
  return data;
}

std::vector<uint8_t> ones(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n), 1.0f);
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  return {p, p + n * 4};
}

}  // namespace

std::vector<std::string> random_model_shapes() {
  std::vector<std::string> names;
  for (const Shape& s : kShapes) names.emplace_back(s.name);
  return names;
}

RandomModelSpec random_model_shape(const std::string& shape) {
  for (const Shape& s : kShapes) {
    if (shape == s.name) {
      RandomModelSpec spec;
      spec.name = s.name;
      spec.n_vocab = s.n_vocab;
      spec.n_embd = s.n_embd;
      spec.n_layer = s.n_layer;
      spec.n_head = s.n_head;
      spec.n_head_kv = s.n_head_kv;
      spec.n_ff = s.n_ff;
      spec.context_length = s.context_length;
      return spec;
    }
  }
  std::string known;
  for (const auto& n : random_model_shapes()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown model shape '" + shape + "' (known: " + known + ")");
}

void write_random_model(const RandomModelSpec& spec, const std::string& path) {
  // Weight types: a plain dtype for every matrix, or a K-quant "medium" mix chosen per tensor by
  // the same policy as `parley quantize` (quantize_model.h).
  std::optional<QuantMix> mix;
  DType base = DType::F32;
  if (spec.weight_type == "q4_k_m" || spec.weight_type == "Q4_K_M" || spec.weight_type == "q5_k_m" ||
      spec.weight_type == "Q5_K_M") {
    mix = quant_mix_from_name(spec.weight_type);
    base = quant_mix_info(*mix).base;
  } else if (auto t = kernels::dtype_from_name(spec.weight_type);
             t && *t != DType::Q8_K && *t != DType::I8 && *t != DType::U8 && *t != DType::I32 &&
             *t != DType::I64 && *t != DType::BOOL) {
    base = *t;
  } else {
    throw Error("unknown weight type '" + spec.weight_type + "' (a dtype such as q4_0, q8_0, f16, or q4_k_m)");
  }
  // The type of matrix `name` with rows of `cols` values.
  auto type_of = [&](const std::string& name, int64_t cols) {
    if (!mix) return base;
    return choose_quant_type(*mix, {.name = name, .ndim = 2, .row_length = cols, .n_layer = spec.n_layer});
  };
  const int64_t block = kernels::dtype_traits(base).block_size;
  const int64_t head_dim = spec.n_embd / spec.n_head;
  if (spec.n_embd % block != 0 || spec.n_ff % block != 0)
    throw Error("model shape does not divide into " + spec.weight_type + " blocks of " + std::to_string(block));

  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_string("general.name", "random " + spec.name + " " + spec.weight_type);
  w.set_u32("llama.context_length", static_cast<uint32_t>(spec.context_length));
  w.set_u32("llama.embedding_length", static_cast<uint32_t>(spec.n_embd));
  w.set_u32("llama.block_count", static_cast<uint32_t>(spec.n_layer));
  w.set_u32("llama.feed_forward_length", static_cast<uint32_t>(spec.n_ff));
  w.set_u32("llama.attention.head_count", static_cast<uint32_t>(spec.n_head));
  w.set_u32("llama.attention.head_count_kv", static_cast<uint32_t>(spec.n_head_kv));
  w.set_u32("llama.rope.dimension_count", static_cast<uint32_t>(head_dim));
  w.set_f32("llama.rope.freq_base", 10000.0f);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);

  // Placeholder SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, filler pieces.
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0.0f, 0.0f, 0.0f};
  std::vector<int32_t> types = {2, 3, 3};  // unknown, control, control
  char piece[16];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    tokens.emplace_back(piece);
    scores.push_back(0.0f);
    types.push_back(6);  // byte
  }
  for (int32_t i = static_cast<int32_t>(tokens.size()); i < spec.n_vocab; ++i) {
    tokens.push_back("\xe2\x96\x81piece" + std::to_string(i));
    scores.push_back(-static_cast<float>(i));
    types.push_back(1);
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  if (!spec.chat_template.empty()) w.set_string("tokenizer.chat_template", spec.chat_template);

  std::mt19937_64 rng(spec.seed);
  const float scale = 1.0f / std::sqrt(static_cast<float>(spec.n_embd));
  const int64_t kv_dim = head_dim * spec.n_head_kv;
  auto matrix = [&](const std::string& name, int64_t rows, int64_t cols, float std_dev) {
    const DType type = type_of(name, cols);
    w.add_tensor(name, type, {rows, cols}, random_matrix(type, rows, cols, std_dev, rng));
  };
  matrix("token_embd.weight", spec.n_vocab, spec.n_embd, scale);
  w.add_tensor("output_norm.weight", DType::F32, {spec.n_embd}, ones(spec.n_embd));
  matrix("output.weight", spec.n_vocab, spec.n_embd, scale);
  for (int32_t l = 0; l < spec.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    w.add_tensor(p + "attn_norm.weight", DType::F32, {spec.n_embd}, ones(spec.n_embd));
    matrix(p + "attn_q.weight", spec.n_embd, spec.n_embd, scale);
    matrix(p + "attn_k.weight", kv_dim, spec.n_embd, scale);
    matrix(p + "attn_v.weight", kv_dim, spec.n_embd, scale);
    matrix(p + "attn_output.weight", spec.n_embd, spec.n_embd, scale);
    w.add_tensor(p + "ffn_norm.weight", DType::F32, {spec.n_embd}, ones(spec.n_embd));
    matrix(p + "ffn_gate.weight", spec.n_ff, spec.n_embd, scale);
    matrix(p + "ffn_up.weight", spec.n_ff, spec.n_embd, scale);
    matrix(p + "ffn_down.weight", spec.n_embd, spec.n_ff, 1.0f / std::sqrt(float(spec.n_ff)));
  }
  w.write(path);
}

}  // namespace parley::llm
