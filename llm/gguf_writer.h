// GgufWriter: writes GGUF v3 files — metadata of every scalar type, string arrays, numeric
// arrays, and tensors in any dtype of kernels/ (data aligned to general.alignment = 32).
// Used by `parley convert`/`quantize`-style tools, by the random-model generator for benchmarks,
// and by tests that need small synthetic models.
//
//   llm::GgufWriter w;
//   w.set_string("general.architecture", "llama");
//   w.set_u32("llama.block_count", 2);
//   w.set_string_array("tokenizer.ggml.tokens", tokens);
//   w.add_tensor("token_embd.weight", DType::F32, {n_vocab, n_embd}, bytes);   // outermost first
//   w.write("model.gguf");      // throws parley::Error naming the file; writes to a temp file
//                               // and renames, so a failure never leaves a partial file
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/dtype.h"

namespace parley::llm {

class GgufWriter {
 public:
  void set_u32(const std::string& key, uint32_t value);
  void set_i32(const std::string& key, int32_t value);
  void set_u64(const std::string& key, uint64_t value);
  void set_f32(const std::string& key, float value);
  void set_bool(const std::string& key, bool value);
  void set_string(const std::string& key, const std::string& value);
  void set_string_array(const std::string& key, const std::vector<std::string>& values);
  void set_f32_array(const std::string& key, const std::vector<float>& values);
  void set_i32_array(const std::string& key, const std::vector<int32_t>& values);
  // A value of any GGUF type (numbered as in the specification, 0..12) already encoded as GGUF
  // stores it after the type field: used to copy metadata from one file to another unchanged.
  void set_encoded(const std::string& key, uint32_t gguf_type, const std::vector<uint8_t>& encoded);

  // shape outermost first (kernels::Tensor convention); data holds row_bytes(...) * rows bytes.
  void add_tensor(const std::string& name, kernels::DType dtype, std::vector<int64_t> shape,
                  std::vector<uint8_t> data);

  void write(const std::string& path) const;
  std::vector<uint8_t> to_bytes() const;

 private:
  struct Tensor {
    std::string name;
    kernels::DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  void begin_key(const std::string& key, uint32_t type);
  std::vector<uint8_t> header_bytes() const;  // through the padding before the data section

  std::vector<uint8_t> metadata_;  // serialised key/value pairs
  uint64_t metadata_count_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace parley::llm
