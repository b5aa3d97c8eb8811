#include "llm/gguf.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>

#include "kernels/error.h"

namespace parley::llm {

int fixed_type_bytes(uint32_t type) {
  switch (static_cast<GgufType>(type)) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::BOOL:
      return 1;
    case GgufType::U16:
    case GgufType::I16:
      return 2;
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::F32:
      return 4;
    case GgufType::U64:
    case GgufType::I64:
    case GgufType::F64:
      return 8;
    case GgufType::STRING:
    case GgufType::ARRAY:
      return 0;
  }
  return -1;
}

namespace {

// Sane limits that no real file comes near; they bound work and memory on hostile input.
constexpr uint64_t kMaxKeyBytes = 1 << 16;
constexpr uint64_t kMaxTensorNameBytes = 1 << 12;
constexpr int kMaxArrayDepth = 8;
constexpr uint64_t kMaxNestedArrayItems = 1 << 20;  // total children of arrays of arrays
constexpr uint32_t kMaxAlignment = 1 << 20;
constexpr uint32_t kDefaultAlignment = 32;
// Smallest possible encodings, used to bound counts by the bytes that remain.
constexpr uint64_t kMinKeyValueBytes = 8 + 1 + 4 + 1;            // key len, 1-byte key, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, n_dims, ne[0], type, off


template <typename T>
T load_le(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));  // x86-64 and AArch64 Linux are little-endian, as GGUF
  return value;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (s.size() > 200) out += "...";
  return out + "'";
}

// Sequential reader over the file bytes. Every read checks the bytes that remain first.
class Cursor {
 public:
  Cursor(const std::string& name, const uint8_t* data, uint64_t size)
      : name_(name), data_(data), size_(size) {}

  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  [[noreturn]] void fail(const std::string& what) const { throw Error(name_ + ": " + what); }

  void require(uint64_t bytes, const std::string& what) const {
    if (bytes > remaining()) {
      fail("truncated: " + what + " needs " + std::to_string(bytes) + " bytes at offset " +
           std::to_string(pos_) + " but the file ends at " + std::to_string(size_));
    }
  }
  const uint8_t* take(uint64_t bytes, const std::string& what) {
    require(bytes, what);
    const uint8_t* p = data_ + pos_;
    pos_ += bytes;
    return p;
  }
  template <typename T>
  T read(const std::string& what) {
    return load_le<T>(take(sizeof(T), what));
  }
  std::string_view read_string(const std::string& what, uint64_t max_bytes) {
    const uint64_t length = read<uint64_t>(what + " length");
    if (length > remaining()) {
      fail(what + " length " + std::to_string(length) + " exceeds the " +
           std::to_string(remaining()) + " bytes left in the file");
    }
    if (length > max_bytes) {
      fail(what + " length " + std::to_string(length) + " exceeds the limit of " +
           std::to_string(max_bytes) + " bytes");
    }
    return {reinterpret_cast<const char*>(take(length, what)), static_cast<size_t>(length)};
  }

 private:
  const std::string& name_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

class Parser {
 public:
  Parser(Cursor& cursor) : in_(cursor) {}

  GgufValue read_value(uint32_t raw_type, const std::string& what, int depth) {
    if (fixed_type_bytes(raw_type) < 0) {
      in_.fail(what + " has unknown value type " + std::to_string(raw_type));
    }
    GgufValue v;
    v.type = static_cast<GgufType>(raw_type);
    switch (v.type) {
      case GgufType::U8:
        v.u64 = in_.read<uint8_t>(what);
        v.i64 = static_cast<int64_t>(v.u64);
        break;
      case GgufType::U16:
        v.u64 = in_.read<uint16_t>(what);
        v.i64 = static_cast<int64_t>(v.u64);
        break;
      case GgufType::U32:
        v.u64 = in_.read<uint32_t>(what);
        v.i64 = static_cast<int64_t>(v.u64);
        break;
      case GgufType::U64:
        v.u64 = in_.read<uint64_t>(what);
        v.i64 = static_cast<int64_t>(v.u64);  // only used when it fits (checked by getters)
        break;
      case GgufType::I8:
        v.i64 = in_.read<int8_t>(what);
        v.u64 = static_cast<uint64_t>(v.i64);
        break;
      case GgufType::I16:
        v.i64 = in_.read<int16_t>(what);
        v.u64 = static_cast<uint64_t>(v.i64);
        break;
      case GgufType::I32:
        v.i64 = in_.read<int32_t>(what);
        v.u64 = static_cast<uint64_t>(v.i64);
        break;
      case GgufType::I64:
        v.i64 = in_.read<int64_t>(what);
        v.u64 = static_cast<uint64_t>(v.i64);
        break;
      case GgufType::F32:
        v.f64 = in_.read<float>(what);
        break;
      case GgufType::F64:
        v.f64 = in_.read<double>(what);
        break;
      case GgufType::BOOL: {
        const uint8_t b = in_.read<uint8_t>(what);
        if (b > 1) in_.fail(what + " is a bool with invalid value " + std::to_string(b));
        v.boolean = b != 0;
        break;
      }
      case GgufType::STRING:
        v.string = in_.read_string(what, std::numeric_limits<uint64_t>::max());
        break;
      case GgufType::ARRAY:
        read_array(v, what, depth);
        break;
    }
    return v;
  }

 private:
  void read_array(GgufValue& v, const std::string& what, int depth) {
    if (depth >= kMaxArrayDepth) {
      in_.fail(what + " nests arrays deeper than " + std::to_string(kMaxArrayDepth) + " levels");
    }
    const uint32_t element_type = in_.read<uint32_t>(what + " element type");
    const int element_bytes = fixed_type_bytes(element_type);
    if (element_bytes < 0) {
      in_.fail(what + " has unknown array element type " + std::to_string(element_type));
    }
    v.element_type = static_cast<GgufType>(element_type);
    v.count = in_.read<uint64_t>(what + " element count");
    // The smallest encoding of one element bounds the count by the bytes that remain.
    const uint64_t min_element_bytes =
        element_bytes > 0 ? element_bytes : (v.element_type == GgufType::STRING ? 8 : 12);
    if (v.count > in_.remaining() / min_element_bytes) {
      in_.fail(what + " array of " + std::to_string(v.count) + " " +
               std::string(gguf_type_name(v.element_type)) + " elements needs at least " +
               (v.count > std::numeric_limits<uint64_t>::max() / min_element_bytes
                    ? std::string("more")
                    : std::to_string(v.count * min_element_bytes)) +
               " bytes but only " + std::to_string(in_.remaining()) + " remain");
    }
    if (element_bytes > 0) {
      v.raw = in_.take(v.count * element_bytes, what);
      if (v.element_type == GgufType::BOOL) {
        for (uint64_t i = 0; i < v.count; ++i) {
          if (v.raw[i] > 1)
            in_.fail(what + " element " + std::to_string(i) + " is an invalid bool");
        }
      }
    } else if (v.element_type == GgufType::STRING) {
      v.strings.reserve(static_cast<size_t>(v.count));
      for (uint64_t i = 0; i < v.count; ++i) {
        v.strings.push_back(in_.read_string(what + "[" + std::to_string(i) + "]",
                                            std::numeric_limits<uint64_t>::max()));
      }
    } else {
      nested_items_ += v.count;
      if (nested_items_ > kMaxNestedArrayItems) {
        in_.fail(what + ": more than " + std::to_string(kMaxNestedArrayItems) +
                 " elements in nested arrays");
      }
      v.items.reserve(static_cast<size_t>(v.count));
      for (uint64_t i = 0; i < v.count; ++i) {
        v.items.push_back(read_value(static_cast<uint32_t>(GgufType::ARRAY),
                                     what + "[" + std::to_string(i) + "]", depth + 1));
      }
    }
  }

  Cursor& in_;
  uint64_t nested_items_ = 0;
};

bool checked_mul(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

}  // namespace

std::string_view gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::U8:
      return "u8";
    case GgufType::I8:
      return "i8";
    case GgufType::U16:
      return "u16";
    case GgufType::I16:
      return "i16";
    case GgufType::U32:
      return "u32";
    case GgufType::I32:
      return "i32";
    case GgufType::F32:
      return "f32";
    case GgufType::BOOL:
      return "bool";
    case GgufType::STRING:
      return "string";
    case GgufType::ARRAY:
      return "array";
    case GgufType::U64:
      return "u64";
    case GgufType::I64:
      return "i64";
    case GgufType::F64:
      return "f64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::U16:
    case GgufType::I16:
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::U64:
    case GgufType::I64:
      return true;
    default:
      return false;
  }
}

double GgufValue::number_at(uint64_t i) const {
  const uint8_t* p = raw + i * fixed_type_bytes(static_cast<uint32_t>(element_type));
  switch (element_type) {
    case GgufType::U8:
      return load_le<uint8_t>(p);
    case GgufType::I8:
      return load_le<int8_t>(p);
    case GgufType::U16:
      return load_le<uint16_t>(p);
    case GgufType::I16:
      return load_le<int16_t>(p);
    case GgufType::U32:
      return load_le<uint32_t>(p);
    case GgufType::I32:
      return load_le<int32_t>(p);
    case GgufType::F32:
      return load_le<float>(p);
    case GgufType::BOOL:
      return load_le<uint8_t>(p);
    case GgufType::U64:
      return static_cast<double>(load_le<uint64_t>(p));
    case GgufType::I64:
      return static_cast<double>(load_le<int64_t>(p));
    case GgufType::F64:
      return load_le<double>(p);
    default:
      return 0.0;
  }
}

std::string GgufValue::to_display_string() const {
  switch (type) {
    case GgufType::STRING:
      return quoted(string);
    case GgufType::BOOL:
      return boolean ? "true" : "false";
    case GgufType::F32:
    case GgufType::F64:
      return std::to_string(f64);
    case GgufType::U64:
      return std::to_string(u64);
    case GgufType::ARRAY: {
      std::string out = "[";
      out += gguf_type_name(element_type);
      out += " x ";
      out += std::to_string(count);
      return out + "]";
    }
    default:
      return std::to_string(i64);
  }
}

GgufFile::GgufFile(const std::string& path) : name_(path) {
  file_ = std::make_unique<kernels::MappedFile>(path);
  data_ = file_->data();
  size_ = file_->size();
  parse();
}

GgufFile::GgufFile(std::string name, const uint8_t* data, size_t size_bytes)
    : name_(std::move(name)), data_(data), size_(size_bytes) {
  parse();
}

GgufFile GgufFile::from_memory(std::string name, const uint8_t* data, size_t size_bytes) {
  return GgufFile(std::move(name), data, size_bytes);
}

void GgufFile::parse() {
  Cursor in(name_, data_, size_);
  if (size_ < 4 || std::memcmp(data_, "GGUF", 4) != 0) {
    if (size_ < 4) in.fail("too small to be a GGUF file (" + std::to_string(size_) + " bytes)");
    char magic[16];
    std::snprintf(magic, sizeof(magic), "%02x %02x %02x %02x", data_[0], data_[1], data_[2],
                  data_[3]);
    in.fail(std::string("not a GGUF file (first bytes ") + magic + ", expected 'GGUF')");
  }
  in.take(4, "magic");
  version_ = in.read<uint32_t>("version");
  if (version_ == 1) in.fail("GGUF version 1 is not supported (only versions 2 and 3)");
  if (version_ != 2 && version_ != 3) {
    const bool swapped = (version_ & 0xFFFF) == 0 && version_ != 0;
    in.fail("unsupported GGUF version " + std::to_string(version_) +
            (swapped ? " (a big-endian file? only little-endian is supported)" : "") +
            " (only versions 2 and 3)");
  }
  const uint64_t n_tensors = in.read<uint64_t>("tensor count");
  const uint64_t n_kv = in.read<uint64_t>("metadata count");
  if (n_kv > in.remaining() / kMinKeyValueBytes) {
    in.fail("metadata count " + std::to_string(n_kv) + " cannot fit in the " +
            std::to_string(in.remaining()) + " bytes that remain");
  }
  if (n_tensors > in.remaining() / kMinTensorInfoBytes) {
    in.fail("tensor count " + std::to_string(n_tensors) + " cannot fit in the " +
            std::to_string(in.remaining()) + " bytes that remain");
  }

  Parser parser(in);
  metadata_.reserve(static_cast<size_t>(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string label = "metadata entry " + std::to_string(i);
    const std::string_view key = in.read_string(label + " key", kMaxKeyBytes);
    if (key.empty()) in.fail(label + " has an empty key");
    const std::string what = "metadata " + quoted(key);
    const uint32_t type = in.read<uint32_t>(what + " type");
    GgufValue value = parser.read_value(type, what, 0);
    if (!metadata_index_.emplace(key, metadata_.size()).second) {
      in.fail("duplicate metadata key " + quoted(key));
    }
    metadata_.push_back(GgufKeyValue{key, std::move(value)});
  }

  if (const GgufValue* a = find("general.alignment")) {
    if (!a->is_integer() || a->u64 == 0 || a->u64 > kMaxAlignment || !std::has_single_bit(a->u64) ||
        (a->i64 < 0)) {
      in.fail("metadata 'general.alignment' must be a power of two between 1 and " +
              std::to_string(kMaxAlignment) + ", got " + a->to_display_string() + " (" +
              std::string(gguf_type_name(a->type)) + ")");
    }
    alignment_ = static_cast<uint32_t>(a->u64);
  } else {
    alignment_ = kDefaultAlignment;
  }

  tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = in.read_string("tensor " + std::to_string(i) + " name", kMaxTensorNameBytes);
    if (t.name.empty()) in.fail("tensor " + std::to_string(i) + " has an empty name");
    const std::string what = "tensor " + quoted(t.name);
    const uint32_t n_dims = in.read<uint32_t>(what + " dimension count");
    if (n_dims < 1 || n_dims > static_cast<uint32_t>(kernels::kMaxDims)) {
      in.fail(what + " has " + std::to_string(n_dims) + " dimensions (1 to " +
              std::to_string(kernels::kMaxDims) + " supported)");
    }
    t.ndim = static_cast<int>(n_dims);
    int64_t elements = 1;
    for (int d = 0; d < t.ndim; ++d) {
      const uint64_t ne = in.read<uint64_t>(what + " dimension " + std::to_string(d));
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        in.fail(what + " dimension " + std::to_string(d) + " is " + std::to_string(ne) +
                " (must be positive)");
      }
      t.ne[d] = static_cast<int64_t>(ne);
      if (!checked_mul(elements, t.ne[d], &elements)) {
        in.fail(what + " has too many elements (dimension product overflows)");
      }
    }
    t.element_count = elements;
    const uint32_t type = in.read<uint32_t>(what + " type");
    const std::optional<kernels::DType> dtype = kernels::dtype_from_gguf(type);
    if (!dtype) in.fail(what + " has unsupported ggml type " + std::to_string(type));
    t.dtype = *dtype;
    const kernels::DTypeTraits& traits = kernels::dtype_traits(t.dtype);
    if (t.ne[0] % traits.block_size != 0) {
      in.fail(what + " row of " + std::to_string(t.ne[0]) + " elements is not a multiple of the " +
              std::string(traits.name) + " block size " + std::to_string(traits.block_size));
    }
    int64_t row_bytes = 0;
    int64_t bytes = 0;
    if (!checked_mul(t.ne[0] / traits.block_size, traits.block_bytes, &row_bytes) ||
        !checked_mul(elements / t.ne[0], row_bytes, &bytes)) {
      in.fail(what + " byte size overflows");
    }
    t.size_bytes = static_cast<uint64_t>(bytes);
    t.offset_bytes = in.read<uint64_t>(what + " offset");
    if (t.offset_bytes % alignment_ != 0) {
      in.fail(what + " data offset " + std::to_string(t.offset_bytes) +
              " is not a multiple of the alignment " + std::to_string(alignment_));
    }
    if (!tensor_index_.emplace(t.name, tensors_.size()).second) {
      in.fail("duplicate tensor name " + quoted(t.name));
    }
    tensors_.push_back(t);
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t end_of_infos = in.position();
  data_offset_ = (end_of_infos + alignment_ - 1) / alignment_ * alignment_;
  if (tensors_.empty()) return;  // vocabulary-only files may end right after the header
  if (data_offset_ > size_) {
    in.fail("data section starts at offset " + std::to_string(data_offset_) +
            " past end of file (" + std::to_string(size_) + " bytes)");
  }
  const uint64_t data_bytes = size_ - data_offset_;
  for (GgufTensorInfo& t : tensors_) {
    if (t.offset_bytes > data_bytes || t.size_bytes > data_bytes - t.offset_bytes) {
      in.fail("tensor " + quoted(t.name) + " data [offset " +
              std::to_string(data_offset_ + t.offset_bytes) + ", " + std::to_string(t.size_bytes) +
              " bytes] extends past end of file (" + std::to_string(size_) + " bytes)");
    }
    int64_t shape[kernels::kMaxDims];
    for (int d = 0; d < t.ndim; ++d) shape[d] = t.ne[t.ndim - 1 - d];
    t.view = kernels::Tensor::contiguous(
        const_cast<uint8_t*>(data_ + data_offset_ + t.offset_bytes), t.dtype, shape, t.ndim);
  }
  // Tensors must not overlap (a hostile file could alias one tensor's bytes as another's).
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors_[a].offset_bytes < tensors_[b].offset_bytes;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const GgufTensorInfo& prev = tensors_[order[i - 1]];
    const GgufTensorInfo& next = tensors_[order[i]];
    if (next.offset_bytes < prev.offset_bytes + prev.size_bytes) {
      in.fail("tensor " + quoted(next.name) + " data overlaps tensor " + quoted(prev.name));
    }
  }
}

const GgufValue* GgufFile::find(std::string_view key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].value;
}

namespace {

[[noreturn]] void wrong_type(const std::string& file, std::string_view key, const GgufValue& v,
                             std::string_view wanted) {
  throw Error(file + ": metadata " + quoted(key) + " is " + std::string(gguf_type_name(v.type)) +
              (v.type == GgufType::ARRAY ? " of " + std::string(gguf_type_name(v.element_type))
                                         : std::string()) +
              ", expected " + std::string(wanted));
}

[[noreturn]] void missing_key(const std::string& file, std::string_view key) {
  throw Error(file + ": required metadata " + quoted(key) + " is missing");
}

bool is_signed(GgufType t) {
  return t == GgufType::I8 || t == GgufType::I16 || t == GgufType::I32 || t == GgufType::I64;
}

}  // namespace

std::optional<std::string_view> GgufFile::find_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != GgufType::STRING) wrong_type(name_, key, *v, "string");
  return v->string;
}

std::optional<int64_t> GgufFile::find_i64(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_integer()) wrong_type(name_, key, *v, "an integer");
  if (v->type == GgufType::U64 && v->u64 > static_cast<uint64_t>(INT64_MAX)) {
    throw Error(name_ + ": metadata " + quoted(key) + " value " + std::to_string(v->u64) +
                " does not fit in int64");
  }
  return v->i64;
}

std::optional<uint32_t> GgufFile::find_u32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_integer()) wrong_type(name_, key, *v, "an unsigned integer");
  const bool negative = is_signed(v->type) && v->i64 < 0;
  if (negative || v->u64 > UINT32_MAX) {
    throw Error(name_ + ": metadata " + quoted(key) + " value " +
                (negative ? std::to_string(v->i64) : std::to_string(v->u64)) +
                " does not fit in uint32");
  }
  return static_cast<uint32_t>(v->u64);
}

std::optional<float> GgufFile::find_f32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_float()) wrong_type(name_, key, *v, "f32 or f64");
  return static_cast<float>(v->f64);
}

std::optional<bool> GgufFile::find_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != GgufType::BOOL) wrong_type(name_, key, *v, "bool");
  return v->boolean;
}

std::string_view GgufFile::get_string(std::string_view key) const {
  if (auto v = find_string(key)) return *v;
  missing_key(name_, key);
}
uint32_t GgufFile::get_u32(std::string_view key) const {
  if (auto v = find_u32(key)) return *v;
  missing_key(name_, key);
}
int64_t GgufFile::get_i64(std::string_view key) const {
  if (auto v = find_i64(key)) return *v;
  missing_key(name_, key);
}
float GgufFile::get_f32(std::string_view key) const {
  if (auto v = find_f32(key)) return *v;
  missing_key(name_, key);
}
bool GgufFile::get_bool(std::string_view key) const {
  if (auto v = find_bool(key)) return *v;
  missing_key(name_, key);
}

const std::vector<std::string_view>* GgufFile::find_array_strings(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return nullptr;
  if (v->type != GgufType::ARRAY || v->element_type != GgufType::STRING) {
    wrong_type(name_, key, *v, "array of string");
  }
  return &v->strings;
}

const std::vector<std::string_view>& GgufFile::get_array_strings(std::string_view key) const {
  if (const auto* v = find_array_strings(key)) return *v;
  missing_key(name_, key);
}

std::optional<std::vector<float>> GgufFile::find_array_f32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != GgufType::ARRAY ||
      (v->element_type != GgufType::F32 && v->element_type != GgufType::F64)) {
    wrong_type(name_, key, *v, "array of f32");
  }
  std::vector<float> out(static_cast<size_t>(v->count));
  for (uint64_t i = 0; i < v->count; ++i) out[i] = static_cast<float>(v->number_at(i));
  return out;
}

std::vector<float> GgufFile::get_array_f32(std::string_view key) const {
  if (auto v = find_array_f32(key)) return std::move(*v);
  missing_key(name_, key);
}

std::optional<std::vector<int32_t>> GgufFile::find_array_i32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  const GgufType e = v->element_type;
  const bool ok_type =
      v->type == GgufType::ARRAY &&
      (e == GgufType::I8 || e == GgufType::U8 || e == GgufType::I16 || e == GgufType::U16 ||
       e == GgufType::I32 || e == GgufType::U32 || e == GgufType::I64 || e == GgufType::U64);
  if (!ok_type) wrong_type(name_, key, *v, "array of integers");
  std::vector<int32_t> out(static_cast<size_t>(v->count));
  const int bytes = fixed_type_bytes(static_cast<uint32_t>(e));
  for (uint64_t i = 0; i < v->count; ++i) {
    const uint8_t* p = v->raw + i * bytes;
    int64_t x = 0;
    switch (e) {
      case GgufType::I8:
        x = load_le<int8_t>(p);
        break;
      case GgufType::U8:
        x = load_le<uint8_t>(p);
        break;
      case GgufType::I16:
        x = load_le<int16_t>(p);
        break;
      case GgufType::U16:
        x = load_le<uint16_t>(p);
        break;
      case GgufType::I32:
        x = load_le<int32_t>(p);
        break;
      case GgufType::U32:
        x = load_le<uint32_t>(p);
        break;
      case GgufType::I64:
        x = load_le<int64_t>(p);
        break;
      default: {
        const uint64_t u = load_le<uint64_t>(p);
        x = u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
      }
    }
    if (x < INT32_MIN || x > INT32_MAX) {
      throw Error(name_ + ": metadata " + quoted(key) + " element " + std::to_string(i) +
                  " value " + std::to_string(x) + " does not fit in int32");
    }
    out[i] = static_cast<int32_t>(x);
  }
  return out;
}

std::vector<int32_t> GgufFile::get_array_i32(std::string_view key) const {
  if (auto v = find_array_i32(key)) return std::move(*v);
  missing_key(name_, key);
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

kernels::Tensor GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (t == nullptr) throw Error(name_ + ": tensor " + quoted(name) + " not found");
  return t->view;
}

}  // namespace parley::llm
