// Hugging Face folder → GGUF (`parley convert`), for the llama and qwen2 families, writing the
// tensor names and metadata keys llama.cpp's convert_hf_to_gguf.py writes:
//   general.{architecture,type,name,file_type,quantization_version},
//   <arch>.{vocab_size,context_length,embedding_length,feed_forward_length,block_count,
//           attention.head_count,attention.head_count_kv,attention.layer_norm_rms_epsilon,
//           rope.freq_base,rope.dimension_count[,attention.key_length,attention.value_length]
//           [,rope.scaling.type,rope.scaling.factor]},
//   tokenizer.ggml.* and tokenizer.chat_template (see hf_tokenizer.h).
//
// Weights: model.embed_tokens → token_embd, model.layers.N.self_attn.{q,k,v,o}_proj →
// blk.N.attn_{q,k,v,output}, mlp.{gate,up,down}_proj → blk.N.ffn_{gate,up,down},
// input_layernorm → attn_norm, post_attention_layernorm → ffn_norm, model.norm → output_norm,
// lm_head → output (left out when tie_word_embeddings). For llama the q/k rows of every head
// are permuted from Hugging Face's half-split rotary layout to GGUF's interleaved one, as
// llama.cpp does; qwen2 keeps the half-split (NeoX) layout and its q/k/v biases.
// Matrices are written as `type` (F32, F16 or BF16); norms, biases and other 1-D tensors stay
// F32. rotary_emb.inv_freq buffers are skipped; any other unknown tensor is an error.
//
// Errors (parley::Error) name the file and field or tensor: a missing config field, an
// unsupported architecture, a malformed safetensors header, a missing or misshapen weight.
// The output is written to OUT.partial and renamed, so a failure leaves no partial file.
//
//   llm::ConvertOptions options;
//   options.type = kernels::DType::F16;
//   llm::ConvertSummary s = llm::convert_hf_to_gguf("hf_dir", "model-f16.gguf", options);
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "kernels/dtype.h"

namespace parley::llm {

struct ConvertOptions {
  kernels::DType type = kernels::DType::F16;    // F32, F16 or BF16 for matrices
  std::string name;                             // general.name; default: from config / folder
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

struct ConvertSummary {
  std::string architecture;
  int64_t n_vocab = 0;
  int64_t tensor_count = 0;
  int64_t parameter_count = 0;
};

ConvertSummary convert_hf_to_gguf(const std::string& hf_dir, const std::string& out_path,
                                  const ConvertOptions& options = {});

// llama.cpp's general.file_type numbers (LLAMA_FTYPE_*) for whole-file types.
uint32_t gguf_file_type(kernels::DType type);

// HF half-split rotary rows → interleaved: rows of each of n_head heads are reordered so that
// row (h, j * head_dim/2 + i) moves to (h, 2 * i + j). src and dst are [rows][cols].
void permute_rope_rows(const float* src, float* dst, int64_t n_head, int64_t rows, int64_t cols);

}  // namespace parley::llm
