// GGUF → quantized GGUF (`parley quantize`), with llama.cpp's per-tensor type choices.
//
// Mixes: Q8_0, Q4_0, Q6_K, Q4_K_M, Q5_K_M. choose_quant_type() is the one type policy, shared
// with the random-model generator (random_model.cc):
// * only matrices whose name ends in "weight" and is not a norm are quantized; 1-D tensors and
//   norms are copied unchanged;
// * output.weight — and token_embd.weight when the file has no output.weight (tied) — becomes
//   Q6_K (Q8_0 stays Q8_0; Q8_0 when the row length does not divide into the base type's blocks);
// * Q4_K_M / Q5_K_M: attn_v and ffn_down get Q6_K in the first and last eighth of the layers and
//   every third layer between (llama.cpp's use_more_bits), the rest Q4_K / Q5_K;
// * a row length that is not a multiple of the chosen type's block falls back as llama.cpp
//   does: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0; when even that does not divide (or for
//   Q4_0/Q8_0 rows that are not multiples of 32) the tensor is written as F16.
// All metadata is copied unchanged except general.file_type (set to the mix's LLAMA_FTYPE
// number) and general.quantization_version (2). Inputs that are already quantized are
// re-quantized only with allow_requantize (quality loss), as llama.cpp requires
// --allow-requantize.
//
//   auto mix = llm::quant_mix_from_name("q4_k_m");            // std::nullopt if unknown
//   llm::QuantizeSummary s = llm::quantize_gguf("m-f16.gguf", "m-q4_k_m.gguf", *mix);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/dtype.h"

namespace parley::llm {

enum class QuantMix : uint8_t { kQ8_0, kQ4_0, kQ6_K, kQ4_K_M, kQ5_K_M };

struct QuantMixInfo {
  QuantMix mix;
  std::string_view name;  // "Q4_K_M"
  kernels::DType base;    // type of most matrices
  uint32_t file_type;     // general.file_type (LLAMA_FTYPE_MOSTLY_*)
};

const QuantMixInfo& quant_mix_info(QuantMix mix);
std::optional<QuantMix> quant_mix_from_name(std::string_view name);  // case-insensitive
std::vector<std::string_view> quant_mix_names();

struct TensorQuantInput {
  std::string_view name;  // GGUF tensor name, e.g. "blk.3.attn_v.weight"
  int ndim = 2;
  int64_t row_length = 0;                        // GGUF ne[0], the innermost dimension
  int32_t n_layer = 1;                           // block_count
  bool tied_embeddings = false;                  // the file has no output.weight
  kernels::DType current = kernels::DType::F32;  // returned for tensors that are not quantized
};
kernels::DType choose_quant_type(QuantMix mix, const TensorQuantInput& tensor);

struct QuantizeOptions {
  bool allow_requantize = false;
  std::function<void(const std::string&)> log;  // one line per tensor; may be empty
};

struct QuantizeSummary {
  int64_t tensor_count = 0;
  int64_t quantized_count = 0;
  uint64_t input_bytes = 0;  // tensor data
  uint64_t output_bytes = 0;
  std::map<std::string, int> type_counts;  // dtype name -> tensors
};

QuantizeSummary quantize_gguf(const std::string& in_path, const std::string& out_path, QuantMix mix,
                              const QuantizeOptions& options = {});

}  // namespace parley::llm
