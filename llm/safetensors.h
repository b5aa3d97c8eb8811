// safetensors reader: single files and sharded checkpoints (model.safetensors.index.json), F32,
// F16 and BF16 tensors, read in place from read-only mappings of the files.
//
// Format: an 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"format": "pt"}}
// then the data section; offsets are relative to its start, shapes outermost first.
//
// Contract
// * Every header field is validated before use: the header length against the file size, the
//   JSON syntax, each entry's dtype (F32/F16/BF16; other safetensors dtypes are reported as
//   unsupported), shape (non-negative integers, at most 4 axes), data_offsets (two integers,
//   begin <= end <= data size, end - begin == elements * element size). Any problem throws
//   parley::Error naming the file, the tensor and the field, e.g.
//     "model.safetensors: tensor 'lm_head.weight' field 'data_offsets' [0, 9000] extends past
//      the data section (4096 bytes)".
// * A sharded checkpoint's index is checked the same way: every weight_map entry must name a
//   shard file that exists and that holds the tensor.
// * Views stay valid as long as the SafetensorsFile / SafetensorsCheckpoint lives.
//
// Usage
//   llm::SafetensorsCheckpoint ckpt = llm::SafetensorsCheckpoint::open("hf_model_dir");
//   const llm::SafetensorsTensor& t = ckpt.get("model.embed_tokens.weight");
//   std::vector<float> values = llm::safetensors_to_f32(t);   // row-major, shape t.shape
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/dtype.h"
#include "kernels/storage.h"

namespace parley::llm {

struct SafetensorsTensor {
  std::string name;
  kernels::DType dtype = kernels::DType::F32;  // F32, F16 or BF16
  std::vector<int64_t> shape;                  // outermost first
  const uint8_t* data = nullptr;               // in the mapping; not necessarily aligned
  uint64_t size_bytes = 0;
  std::string file;  // the file it was read from (for messages)

  int64_t element_count() const;
};

class SafetensorsFile {
 public:
  // Maps and parses `path`. Throws parley::Error naming the file on any problem.
  explicit SafetensorsFile(const std::string& path);
  // Parses bytes the caller keeps alive (tests). `name` is used in messages.
  static SafetensorsFile from_memory(std::string name, const uint8_t* data, size_t size_bytes);

  SafetensorsFile(SafetensorsFile&&) noexcept = default;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept = default;

  const std::string& name() const { return name_; }
  const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const SafetensorsTensor* find(const std::string& tensor_name) const;

 private:
  SafetensorsFile(std::string name, const uint8_t* data, size_t size_bytes);
  void parse(const uint8_t* data, size_t size_bytes);

  std::string name_;
  std::unique_ptr<kernels::MappedFile> file_;
  std::map<std::string, SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a model folder: model.safetensors.index.json (sharded) when present, otherwise
// model.safetensors, otherwise the only *.safetensors file in the folder.
class SafetensorsCheckpoint {
 public:
  static SafetensorsCheckpoint open(const std::string& dir);

  const SafetensorsTensor* find(const std::string& tensor_name) const;
  // Throws parley::Error naming the folder and the tensor when absent.
  const SafetensorsTensor& get(const std::string& tensor_name) const;
  const std::map<std::string, const SafetensorsTensor*>& tensors() const { return index_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsTensor*> index_;
};

// The tensor's values as float32, row-major.
std::vector<float> safetensors_to_f32(const SafetensorsTensor& tensor);

}  // namespace parley::llm
