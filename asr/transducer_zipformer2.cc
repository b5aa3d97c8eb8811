// Encoder family "zipformer2": icefall's streaming Zipformer2 (zipformer/export-onnx-streaming.py),
// read as sherpa-onnx's OnlineZipformer2TransducerModel reads it.
//
// Metadata: T, decode_chunk_len, and per encoder stack (comma-separated lists of equal length)
// encoder_dims, query_head_dims, value_head_dims, num_heads, num_encoder_layers,
// cnn_module_kernels, left_context_len. Caches, for each stack i and each of its layers, in graph
// order: cached_key [left_i, 1, query_head_dim_i * heads_i], cached_nonlin_attn
// [1, 1, left_i, 3 * dim_i / 4], cached_val1 and cached_val2 [left_i, 1, value_head_dim_i *
// heads_i], cached_conv1 and cached_conv2 [1, dim_i, kernel_i / 2]; then embed_states
// [1, 128, 3, ((feature_dim - 1) / 2 - 1) / 2] and processed_lens int64 [1]. A `feature` key of
// "whisper" (whisper-style features) is rejected: only Kaldi fbank is computed here.
#include <numeric>
#include <string>

#include "asr/transducer_model.h"
#include "kernels/error.h"

namespace parley::asr {

EncoderLayout read_zipformer2_layout(const onnx::Model& encoder, int feature_dim) {
  if (encoder.metadata("feature") == "whisper") {
    throw Error(encoder.path() + ": metadata 'feature' is 'whisper'; only fbank models are supported");
  }
  EncoderLayout layout;
  layout.feature_dim = feature_dim;
  layout.chunk_frames = metadata_int(encoder, "T");
  layout.chunk_shift_frames = metadata_int(encoder, "decode_chunk_len");
  const std::vector<int> dims = metadata_int_list(encoder, "encoder_dims");
  const std::vector<int> query_head_dims = metadata_int_list(encoder, "query_head_dims");
  const std::vector<int> value_head_dims = metadata_int_list(encoder, "value_head_dims");
  const std::vector<int> heads = metadata_int_list(encoder, "num_heads");
  const std::vector<int> layers = metadata_int_list(encoder, "num_encoder_layers");
  const std::vector<int> kernels = metadata_int_list(encoder, "cnn_module_kernels");
  const std::vector<int> left = metadata_int_list(encoder, "left_context_len");
  const std::pair<const char*, size_t> lists[] = {
      {"query_head_dims", query_head_dims.size()}, {"value_head_dims", value_head_dims.size()},
      {"num_heads", heads.size()},                 {"num_encoder_layers", layers.size()},
      {"cnn_module_kernels", kernels.size()},      {"left_context_len", left.size()}};
  for (const auto& [key, size] : lists) {
    if (size != dims.size()) {
      throw Error(encoder.path() + ": metadata '" + key + "' has " + std::to_string(size) +
                  " entries, 'encoder_dims' has " + std::to_string(dims.size()));
    }
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] <= 0 || query_head_dims[i] <= 0 || value_head_dims[i] <= 0 || heads[i] <= 0 ||
        layers[i] < 0 || kernels[i] <= 0 || left[i] <= 0) {
      throw Error(encoder.path() + ": metadata of encoder stack " + std::to_string(i) +
                  " has a non-positive entry");
    }
    for (int j = 0; j < layers[i]; ++j) {
      const std::string n = std::to_string(layout.states.size() / 6);
      const int64_t key_dim = int64_t{query_head_dims[i]} * heads[i];
      const int64_t value_dim = int64_t{value_head_dims[i]} * heads[i];
      layout.states.push_back({"cached_key_" + n, onnx::ElemType::kFloat,
                               onnx::Shape{left[i], 1, key_dim}});
      layout.states.push_back({"cached_nonlin_attn_" + n, onnx::ElemType::kFloat,
                               onnx::Shape{1, 1, left[i], 3 * dims[i] / 4}});
      layout.states.push_back({"cached_val1_" + n, onnx::ElemType::kFloat,
                               onnx::Shape{left[i], 1, value_dim}});
      layout.states.push_back({"cached_val2_" + n, onnx::ElemType::kFloat,
                               onnx::Shape{left[i], 1, value_dim}});
      layout.states.push_back({"cached_conv1_" + n, onnx::ElemType::kFloat,
                               onnx::Shape{1, dims[i], kernels[i] / 2}});
      layout.states.push_back({"cached_conv2_" + n, onnx::ElemType::kFloat,
                               onnx::Shape{1, dims[i], kernels[i] / 2}});
    }
  }
  const int64_t embed_dim = ((feature_dim - 1) / 2 - 1) / 2;
  layout.states.push_back({"embed_states", onnx::ElemType::kFloat,
                           onnx::Shape{1, 128, 3, embed_dim}});
  layout.states.push_back({"processed_lens", onnx::ElemType::kInt64, onnx::Shape{1}});
  return layout;
}

}  // namespace parley::asr
