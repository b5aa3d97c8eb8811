// GGUF reader (format versions 2 and 3): header, metadata of every value type, tensor infos,
// alignment and the data section, all read in place from a read-only mapping of the file.
//
// Contract
// * Every count, length, offset, dimension and type read from the file is validated against the
//   bytes that remain and against sane limits *before* it is used: a truncated, malformed or
//   hostile file throws parley::Error whose message names the file and what is wrong, e.g.
//     "m.gguf: tensor 'blk.0.ffn_up.weight' data [offset 123, 4096 bytes] extends past end of
//      file (2000 bytes)".
//   Parsing never allocates more than a small constant times the file size.
// * Zero copy: strings are std::string_view and tensors are kernels::Tensor views into the
//   mapping. They stay valid as long as the GgufFile lives (it is movable, not copyable; moving
//   keeps the mapping and therefore every view valid).
// * Tensor shapes are reported outermost first (kernels::Tensor convention): GGUF's ne[0] is the
//   innermost axis, so a GGUF matrix ne = {n_embd, n_vocab} becomes Tensor [n_vocab, n_embd].
// * A GgufFile is immutable after construction and safe to read from many threads.
//
// Usage
//   llm::GgufFile gguf("stories260K-f32.gguf");               // throws parley::Error
//   std::string_view arch = gguf.get_string("general.architecture");
//   uint32_t layers = gguf.get_u32(std::string(arch) + ".block_count");
//   std::optional<float> eps = gguf.find_f32("llama.attention.layer_norm_rms_epsilon");
//   const std::vector<std::string_view>& tokens = gguf.get_array_strings("tokenizer.ggml.tokens");
//   kernels::Tensor embd = gguf.tensor("token_embd.weight");  // view into the mapping
//   for (const llm::GgufTensorInfo& t : gguf.tensors()) std::puts(std::string(t.name).c_str());
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kernels/storage.h"
#include "kernels/tensor.h"

namespace parley::llm {

// Metadata value types, numbered as in the GGUF specification.
enum class GgufType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

// Size in bytes of one element of a fixed-size GGUF value type; 0 for STRING and ARRAY; -1 for
// a type id this reader does not know.
int fixed_type_bytes(uint32_t type);
std::string_view gguf_type_name(GgufType type);  // "u32", "string", "array", ...

// One metadata value. Scalars are decoded; arrays of fixed-size elements keep a pointer to their
// little-endian bytes in the mapping (read them with the element accessors), string arrays hold
// views, arrays of arrays hold child values.
struct GgufValue {
  GgufType type = GgufType::U8;
  // Scalars (the member matching `type`; integers widen into the signed or unsigned member).
  uint64_t u64 = 0;
  int64_t i64 = 0;
  double f64 = 0.0;  // F32 and F64
  bool boolean = false;
  std::string_view string;
  // Arrays.
  GgufType element_type = GgufType::U8;
  uint64_t count = 0;                     // number of elements
  const uint8_t* raw = nullptr;           // fixed-size elements, unaligned, little-endian
  std::vector<std::string_view> strings;  // element_type == STRING
  std::vector<GgufValue> items;           // element_type == ARRAY

  bool is_integer() const;
  bool is_float() const { return type == GgufType::F32 || type == GgufType::F64; }
  // Element i of a fixed-size numeric array, converted (i < count; programmer error otherwise).
  double number_at(uint64_t i) const;
  // Short human-readable form for inspection: `42`, `"llama"`, `[string x 32000]`.
  std::string to_display_string() const;
};

struct GgufKeyValue {
  std::string_view key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string_view name;
  int ndim = 0;
  std::array<int64_t, kernels::kMaxDims> ne{1, 1, 1, 1};  // GGUF order: ne[0] innermost
  kernels::DType dtype = kernels::DType::F32;
  uint64_t offset_bytes = 0;  // relative to the start of the data section
  uint64_t size_bytes = 0;
  int64_t element_count = 0;
  kernels::Tensor view;  // dims outermost first, pointing into the mapping
};

class GgufFile {
 public:
  // Maps and parses `path`. Throws parley::Error naming the file on any problem.
  explicit GgufFile(const std::string& path);
  // Parses bytes the caller keeps alive for the lifetime of the object (tests, embedded data).
  // `name` is used in error messages.
  static GgufFile from_memory(std::string name, const uint8_t* data, size_t size_bytes);

  GgufFile(GgufFile&&) noexcept = default;
  GgufFile& operator=(GgufFile&&) noexcept = default;
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& name() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t file_size_bytes() const { return size_; }
  uint32_t alignment_bytes() const { return alignment_; }
  uint64_t data_offset_bytes() const { return data_offset_; }  // start of the data section
  const uint8_t* data() const { return data_; }

  // ---- metadata ----
  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }
  const GgufValue* find(std::string_view key) const;  // nullptr when absent
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // find_*: std::nullopt when the key is absent; get_*: throws when absent. Both throw naming the
  // key when the value has the wrong type or does not fit the requested type. Integer getters
  // accept any integer type whose value fits; float getters accept f32 and f64.
  std::optional<std::string_view> find_string(std::string_view key) const;
  std::optional<uint32_t> find_u32(std::string_view key) const;
  std::optional<int64_t> find_i64(std::string_view key) const;
  std::optional<float> find_f32(std::string_view key) const;
  std::optional<bool> find_bool(std::string_view key) const;
  std::string_view get_string(std::string_view key) const;
  uint32_t get_u32(std::string_view key) const;
  int64_t get_i64(std::string_view key) const;
  float get_f32(std::string_view key) const;
  bool get_bool(std::string_view key) const;

  // Arrays. Strings are views into the mapping (no copy); numbers are converted into new vectors.
  const std::vector<std::string_view>* find_array_strings(std::string_view key) const;
  const std::vector<std::string_view>& get_array_strings(std::string_view key) const;
  std::optional<std::vector<float>> find_array_f32(std::string_view key) const;
  std::vector<float> get_array_f32(std::string_view key) const;
  std::optional<std::vector<int32_t>> find_array_i32(std::string_view key) const;
  std::vector<int32_t> get_array_i32(std::string_view key) const;

  // ---- tensors ----
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;  // nullptr when absent
  // The view of a tensor; throws parley::Error naming the file and tensor when absent.
  kernels::Tensor tensor(std::string_view name) const;

 private:
  GgufFile(std::string name, const uint8_t* data, size_t size_bytes);
  void parse();

  std::string name_;
  std::unique_ptr<kernels::MappedFile> file_;  // null for from_memory
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::unordered_map<std::string_view, size_t> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace parley::llm
