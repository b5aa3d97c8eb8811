#include "llm/gguf_writer.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include "kernels/error.h"

namespace parley::llm {
namespace {

constexpr uint32_t kAlignment = 32;
enum : uint32_t { kU8 = 0, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64 };

template <typename T>
void put(std::vector<uint8_t>& out, T value) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}
void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

void GgufWriter::begin_key(const std::string& key, uint32_t type) {
  put_string(metadata_, key);
  put<uint32_t>(metadata_, type);
  ++metadata_count_;
}

void GgufWriter::set_u32(const std::string& key, uint32_t value) { begin_key(key, kU32); put(metadata_, value); }
void GgufWriter::set_i32(const std::string& key, int32_t value) { begin_key(key, kI32); put(metadata_, value); }
void GgufWriter::set_u64(const std::string& key, uint64_t value) { begin_key(key, kU64); put(metadata_, value); }
void GgufWriter::set_f32(const std::string& key, float value) { begin_key(key, kF32); put(metadata_, value); }
void GgufWriter::set_bool(const std::string& key, bool value) {
  begin_key(key, kBool);
  put<uint8_t>(metadata_, value ? 1 : 0);
}
void GgufWriter::set_string(const std::string& key, const std::string& value) {
  begin_key(key, kString);
  put_string(metadata_, value);
}
void GgufWriter::set_string_array(const std::string& key, const std::vector<std::string>& values) {
  begin_key(key, kArray);
  put<uint32_t>(metadata_, kString);
  put<uint64_t>(metadata_, values.size());
  for (const auto& v : values) put_string(metadata_, v);
}
void GgufWriter::set_f32_array(const std::string& key, const std::vector<float>& values) {
  begin_key(key, kArray);
  put<uint32_t>(metadata_, kF32);
  put<uint64_t>(metadata_, values.size());
  for (float v : values) put(metadata_, v);
}
void GgufWriter::set_i32_array(const std::string& key, const std::vector<int32_t>& values) {
  begin_key(key, kArray);
  put<uint32_t>(metadata_, kI32);
  put<uint64_t>(metadata_, values.size());
  for (int32_t v : values) put(metadata_, v);
}
void GgufWriter::set_encoded(const std::string& key, uint32_t gguf_type,
                             const std::vector<uint8_t>& encoded) {
  if (gguf_type > kF64) throw Error("gguf writer: key '" + key + "' has unknown type " + std::to_string(gguf_type));
  begin_key(key, gguf_type);
  metadata_.insert(metadata_.end(), encoded.begin(), encoded.end());
}

void GgufWriter::add_tensor(const std::string& name, kernels::DType dtype, std::vector<int64_t> shape,
                            std::vector<uint8_t> data) {
  const kernels::DTypeTraits& traits = kernels::dtype_traits(dtype);
  if (traits.gguf_type < 0) throw Error("gguf writer: dtype " + std::string(traits.name) + " has no GGUF id");
  if (shape.empty() || shape.size() > 4) throw Error("gguf writer: tensor '" + name + "' needs 1..4 dims");
  if (shape.back() % traits.block_size != 0)
    throw Error("gguf writer: tensor '" + name + "' row is not whole blocks");
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
  const int64_t expected = rows * kernels::row_bytes(dtype, shape.back());
  if (static_cast<int64_t>(data.size()) != expected)
    throw Error("gguf writer: tensor '" + name + "' has " + std::to_string(data.size()) +
                " bytes, expected " + std::to_string(expected));
  tensors_.push_back({name, dtype, std::move(shape), std::move(data)});
}

std::vector<uint8_t> GgufWriter::header_bytes() const {
  std::vector<uint8_t> out;
  put<uint32_t>(out, 0x46554747u);  // "GGUF"
  put<uint32_t>(out, 3);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, metadata_count_);
  out.insert(out.end(), metadata_.begin(), metadata_.end());
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    put_string(out, t.name);
    put<uint32_t>(out, static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) put<uint64_t>(out, static_cast<uint64_t>(*it));
    put<uint32_t>(out, static_cast<uint32_t>(kernels::dtype_traits(t.dtype).gguf_type));
    put<uint64_t>(out, offset);
    offset += (t.data.size() + kAlignment - 1) / kAlignment * kAlignment;
  }
  out.resize((out.size() + kAlignment - 1) / kAlignment * kAlignment, 0);
  return out;
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
  std::vector<uint8_t> out = header_bytes();
  for (const Tensor& t : tensors_) {
    out.insert(out.end(), t.data.begin(), t.data.end());
    out.resize((out.size() + kAlignment - 1) / kAlignment * kAlignment, 0);
  }
  return out;
}

void GgufWriter::write(const std::string& path) const {
  // Streamed (header, then each tensor with its padding) so no second copy of the weights is
  // made in memory.
  const std::vector<uint8_t> header = header_bytes();
  const std::string temp = path + ".partial";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path + ": cannot create file");
    out.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
    static const char kZeros[kAlignment] = {};
    for (const Tensor& t : tensors_) {
      out.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size()));
      const size_t pad = (kAlignment - t.data.size() % kAlignment) % kAlignment;
      out.write(kZeros, static_cast<std::streamsize>(pad));
    }
    if (!out) {
      std::remove(temp.c_str());
      throw Error(path + ": write failed (disk full?)");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw Error(path + ": cannot rename the finished file into place");
  }
}

}  // namespace parley::llm
