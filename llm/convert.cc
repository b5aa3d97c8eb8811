#include "llm/convert.h"

#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "kernels/error.h"
#include "llm/gguf_writer.h"
#include "llm/hf_config.h"
#include "llm/hf_tokenizer.h"
#include "llm/safetensors.h"

namespace parley::llm {
namespace {

using kernels::DType;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// HF tensor name → GGUF name and expected shape; nullopt for names to skip.
struct Target {
  std::string name;
  std::vector<int64_t> shape;
  int permute_heads = 0;  // > 0: llama q/k rope permutation with this many heads
};

std::map<std::string, Target> expected_tensors(const HfConfig& c, int64_t n_vocab,
                                               bool has_output) {
  const bool llama = c.architecture == "llama";
  const int64_t q_dim = c.num_attention_heads * c.head_dim;
  const int64_t kv_dim = c.num_key_value_heads * c.head_dim;
  const int64_t d = c.hidden_size, ff = c.intermediate_size;
  std::map<std::string, Target> t;
  t["model.embed_tokens.weight"] = {"token_embd.weight", {n_vocab, d}};
  t["model.norm.weight"] = {"output_norm.weight", {d}};
  if (has_output) t["lm_head.weight"] = {"output.weight", {n_vocab, d}};
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string hf = "model.layers." + std::to_string(i) + ".";
    const std::string gg = "blk." + std::to_string(i) + ".";
    t[hf + "input_layernorm.weight"] = {gg + "attn_norm.weight", {d}};
    t[hf + "post_attention_layernorm.weight"] = {gg + "ffn_norm.weight", {d}};
    t[hf + "self_attn.q_proj.weight"] = {
        gg + "attn_q.weight", {q_dim, d}, llama ? int(c.num_attention_heads) : 0};
    t[hf + "self_attn.k_proj.weight"] = {
        gg + "attn_k.weight", {kv_dim, d}, llama ? int(c.num_key_value_heads) : 0};
    t[hf + "self_attn.v_proj.weight"] = {gg + "attn_v.weight", {kv_dim, d}};
    t[hf + "self_attn.o_proj.weight"] = {gg + "attn_output.weight", {d, q_dim}};
    t[hf + "mlp.gate_proj.weight"] = {gg + "ffn_gate.weight", {ff, d}};
    t[hf + "mlp.up_proj.weight"] = {gg + "ffn_up.weight", {ff, d}};
    t[hf + "mlp.down_proj.weight"] = {gg + "ffn_down.weight", {d, ff}};
    if (!llama) {
      t[hf + "self_attn.q_proj.bias"] = {gg + "attn_q.bias", {q_dim}};
      t[hf + "self_attn.k_proj.bias"] = {gg + "attn_k.bias", {kv_dim}};
      t[hf + "self_attn.v_proj.bias"] = {gg + "attn_v.bias", {kv_dim}};
    }
  }
  return t;
}

bool skipped(const std::string& name) {
  return name.size() >= 9 && name.compare(name.size() - 9, 9, ".inv_freq") == 0;
}

std::vector<uint8_t> encode(const std::vector<float>& values, DType type) {
  std::vector<uint8_t> out(values.size() * (type == DType::F32 ? 4 : 2));
  if (type == DType::F32) {
    std::memcpy(out.data(), values.data(), out.size());
  } else {
    kernels::dtype_traits(type).from_float(values.data(), out.data(),
                                           static_cast<int64_t>(values.size()));
  }
  return out;
}

}  // namespace

uint32_t gguf_file_type(DType type) {
  switch (type) {
    case DType::F32:
      return 0;
    case DType::F16:
      return 1;
    case DType::Q4_0:
      return 2;
    case DType::Q4_1:
      return 3;
    case DType::Q8_0:
      return 7;
    case DType::Q5_0:
      return 8;
    case DType::Q5_1:
      return 9;
    case DType::Q2_K:
      return 10;
    case DType::Q6_K:
      return 18;
    case DType::BF16:
      return 32;
    default:
      throw Error("no GGUF file type for " + std::string(kernels::dtype_name(type)));
  }
}

void permute_rope_rows(const float* src, float* dst, int64_t n_head, int64_t rows, int64_t cols) {
  const int64_t head_dim = rows / n_head, half = head_dim / 2;
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t i = 0; i < half; ++i)
        std::memcpy(dst + (h * head_dim + 2 * i + j) * cols,
                    src + (h * head_dim + j * half + i) * cols,
                    static_cast<size_t>(cols) * sizeof(float));
}

ConvertSummary convert_hf_to_gguf(const std::string& hf_dir, const std::string& out_path,
                                  const ConvertOptions& options) {
  if (options.type != DType::F32 && options.type != DType::F16 && options.type != DType::BF16)
    throw Error(
        "convert: --type must be f32, f16 or bf16 (use `parley quantize` for smaller types)");
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  const HfConfig c = read_hf_config(hf_dir);
  const SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(hf_dir);
  const SafetensorsTensor& embd = ckpt.get("model.embed_tokens.weight");
  if (embd.shape.size() != 2 || embd.shape[1] != c.hidden_size)
    throw Error(embd.file + ": tensor 'model.embed_tokens.weight' has shape " +
                shape_text(embd.shape) + ", expected [vocab, " + std::to_string(c.hidden_size) +
                "] (hidden_size)");
  const int64_t n_vocab = embd.shape[0];
  if (n_vocab != c.vocab_size)
    log("note: config.json vocab_size " + std::to_string(c.vocab_size) +
        " differs from the embedding's " + std::to_string(n_vocab) + " rows; using the embedding");
  const bool has_output = !c.tie_word_embeddings && ckpt.find("lm_head.weight") != nullptr;
  const std::map<std::string, Target> expected = expected_tensors(c, n_vocab, has_output);

  for (const auto& [name, t] : ckpt.tensors()) {
    if (expected.count(name) || skipped(name)) continue;
    if (name == "lm_head.weight") continue;  // tied: the embedding is the output matrix
    throw Error(t->file + ": tensor '" + name + "' is not part of a " + c.hf_architecture +
                " model (unsupported variant?)");
  }

  GgufWriter w;
  const std::string& a = c.architecture;
  w.set_string("general.architecture", a);
  w.set_string("general.type", "model");
  w.set_string("general.name", options.name.empty() ? c.name : options.name);
  w.set_u32("general.file_type", gguf_file_type(options.type));
  w.set_u32("general.quantization_version", 2);
  w.set_u32(a + ".vocab_size", static_cast<uint32_t>(n_vocab));
  w.set_u32(a + ".context_length", static_cast<uint32_t>(c.max_position_embeddings));
  w.set_u32(a + ".embedding_length", static_cast<uint32_t>(c.hidden_size));
  w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  w.set_u32(a + ".block_count", static_cast<uint32_t>(c.num_hidden_layers));
  w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(c.num_attention_heads));
  w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(c.num_key_value_heads));
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  w.set_f32(a + ".rope.freq_base", static_cast<float>(c.rope_theta));
  w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(c.head_dim));
  if (c.head_dim * c.num_attention_heads != c.hidden_size) {
    w.set_u32(a + ".attention.key_length", static_cast<uint32_t>(c.head_dim));
    w.set_u32(a + ".attention.value_length", static_cast<uint32_t>(c.head_dim));
  }
  if (c.rope_linear_factor) {
    w.set_string(a + ".rope.scaling.type", "linear");
    w.set_f32(a + ".rope.scaling.factor", static_cast<float>(*c.rope_linear_factor));
  }
  const HfVocab vocab = read_hf_tokenizer(hf_dir, c, n_vocab);
  vocab.write_to(w);
  log("vocabulary: " + vocab.model + " (" + vocab.pre + "), " +
      std::to_string(vocab.tokens.size()) + " tokens" +
      (vocab.merges.empty() ? "" : ", " + std::to_string(vocab.merges.size()) + " merges"));

  ConvertSummary summary;
  summary.architecture = a;
  summary.n_vocab = n_vocab;
  for (const auto& [hf_name, target] : expected) {
    const SafetensorsTensor& t = ckpt.get(hf_name);
    if (t.shape != target.shape)
      throw Error(t.file + ": tensor '" + hf_name + "' has shape " + shape_text(t.shape) +
                  ", expected " + shape_text(target.shape) + " from config.json");
    std::vector<float> values = safetensors_to_f32(t);
    if (target.permute_heads > 0) {
      std::vector<float> permuted(values.size());
      permute_rope_rows(values.data(), permuted.data(), target.permute_heads, target.shape[0],
                        target.shape[1]);
      values.swap(permuted);
    }
    const DType type = target.shape.size() >= 2 ? options.type : DType::F32;
    summary.parameter_count += t.element_count();
    ++summary.tensor_count;
    w.add_tensor(target.name, type, target.shape, encode(values, type));
  }
  log("writing " + out_path + ": " + std::to_string(summary.tensor_count) + " tensors, " +
      std::to_string(summary.parameter_count) + " parameters, " +
      std::string(kernels::dtype_name(options.type)));
  w.write(out_path);
  return summary;
}

}  // namespace parley::llm
