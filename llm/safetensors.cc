#include "llm/safetensors.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "kernels/error.h"
#include "kernels/fp16.h"

namespace parley::llm {
namespace {

using Json = nlohmann::json;
using kernels::DType;

constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;  // the format's own limit is 100 MB
constexpr int kMaxAxes = 4;

[[noreturn]] void fail_field(const std::string& file, const std::string& tensor,
                             const std::string& field, const std::string& what) {
  throw Error(file + ": tensor '" + tensor + "' field '" + field + "' " + what);
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Json parse_json(const std::string& text, const std::string& name) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw Error(name + ": invalid JSON (" + e.what() + ")");
  }
}

int64_t element_bytes(DType dtype) {
  return dtype == DType::F32 ? 4 : 2;
}

}  // namespace

int64_t SafetensorsTensor::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::SafetensorsFile(const std::string& path)
    : name_(path), file_(std::make_unique<kernels::MappedFile>(path)) {
  parse(file_->data(), file_->size());
}

SafetensorsFile::SafetensorsFile(std::string name, const uint8_t* data, size_t size_bytes)
    : name_(std::move(name)) {
  parse(data, size_bytes);
}

SafetensorsFile SafetensorsFile::from_memory(std::string name, const uint8_t* data,
                                             size_t size_bytes) {
  return SafetensorsFile(std::move(name), data, size_bytes);
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& tensor_name) const {
  auto it = tensors_.find(tensor_name);
  return it == tensors_.end() ? nullptr : &it->second;
}

void SafetensorsFile::parse(const uint8_t* data, size_t size_bytes) {
  if (size_bytes < 8)
    throw Error(name_ + ": file is " + std::to_string(size_bytes) +
                " bytes, too short for the 8-byte safetensors header length");
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | data[i];
  if (header_bytes > size_bytes - 8 || header_bytes > kMaxHeaderBytes)
    throw Error(name_ + ": header length " + std::to_string(header_bytes) + " exceeds the file (" +
                std::to_string(size_bytes) + " bytes) or the 100 MB limit");
  if (header_bytes < 2)
    throw Error(name_ + ": header length " + std::to_string(header_bytes) +
                " is too small for a JSON object");
  const char* text = reinterpret_cast<const char*>(data + 8);
  Json header;
  try {
    header = Json::parse(text, text + header_bytes);
  } catch (const Json::exception& e) {
    throw Error(name_ + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw Error(name_ + ": header is not a JSON object");
  const uint8_t* data_section = data + 8 + header_bytes;
  const uint64_t data_bytes = size_bytes - 8 - header_bytes;

  for (const auto& [key, entry] : header.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object()) throw Error(name_ + ": '__metadata__' is not an object");
      for (const auto& [mk, mv] : entry.items())
        if (mv.is_string()) metadata_[mk] = mv.get<std::string>();
      continue;
    }
    if (!entry.is_object()) fail_field(name_, key, "(entry)", "is not an object");
    SafetensorsTensor t;
    t.name = key;
    t.file = name_;
    // dtype
    auto dt = entry.find("dtype");
    if (dt == entry.end()) fail_field(name_, key, "dtype", "is missing");
    if (!dt->is_string()) fail_field(name_, key, "dtype", "is not a string");
    const std::string dtype = dt->get<std::string>();
    if (dtype == "F32") {
      t.dtype = DType::F32;
    } else if (dtype == "F16") {
      t.dtype = DType::F16;
    } else if (dtype == "BF16") {
      t.dtype = DType::BF16;
    } else {
      static const std::set<std::string> known = {"F64", "I64",  "I32",     "I16",
                                                  "I8",  "U8",   "U16",     "U32",
                                                  "U64", "BOOL", "F8_E4M3", "F8_E5M2"};
      fail_field(name_, key, "dtype",
                 "'" + dtype + "' is " + (known.count(dtype) ? "not supported" : "unknown") +
                     " (supported: F32, F16, BF16)");
    }
    // shape
    auto sh = entry.find("shape");
    if (sh == entry.end()) fail_field(name_, key, "shape", "is missing");
    if (!sh->is_array() || sh->size() > kMaxAxes)
      fail_field(name_, key, "shape", "is not an array of at most 4 integers");
    int64_t elements = 1;
    for (const Json& d : *sh) {
      if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0))
        fail_field(name_, key, "shape", "holds " + d.dump() + ", not a non-negative integer");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > (uint64_t{1} << 40) ||
          (dim != 0 && static_cast<uint64_t>(elements) > (uint64_t{1} << 42) / dim))
        fail_field(name_, key, "shape", "is too large");
      elements *= static_cast<int64_t>(dim);
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    // data_offsets
    auto off = entry.find("data_offsets");
    if (off == entry.end()) fail_field(name_, key, "data_offsets", "is missing");
    if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      fail_field(name_, key, "data_offsets", "is not a pair of non-negative integers");
    const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
    std::string range = std::to_string(begin);
    range.insert(0, 1, '[').append(", ").append(std::to_string(end)).append("]");
    if (begin > end) fail_field(name_, key, "data_offsets", range + " has begin > end");
    if (end > data_bytes)
      fail_field(
          name_, key, "data_offsets",
          range + " extends past the data section (" + std::to_string(data_bytes) + " bytes)");
    const uint64_t expected = static_cast<uint64_t>(elements * element_bytes(t.dtype));
    if (end - begin != expected)
      fail_field(name_, key, "data_offsets",
                 range + " spans " + std::to_string(end - begin) +
                     " bytes but shape and dtype need " + std::to_string(expected));
    t.data = data_section + begin;
    t.size_bytes = end - begin;
    tensors_.emplace(key, std::move(t));
  }
}

SafetensorsCheckpoint SafetensorsCheckpoint::open(const std::string& dir) {
  namespace fs = std::filesystem;
  SafetensorsCheckpoint ckpt;
  ckpt.dir_ = dir;
  const fs::path root(dir);
  const fs::path index_path = root / "model.safetensors.index.json";
  std::error_code ec;
  if (fs::exists(index_path, ec)) {
    const std::string index_name = index_path.string();
    const Json index = parse_json(read_text_file(index_name), index_name);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      throw Error(index_name + ": field 'weight_map' is missing or not an object");
    std::map<std::string, size_t> opened;  // shard file -> index in files_
    for (const auto& [tensor, shard] : index["weight_map"].items()) {
      if (!shard.is_string())
        throw Error(index_name + ": weight_map entry '" + tensor + "' is not a file name");
      const std::string shard_name = shard.get<std::string>();
      if (shard_name.empty() || shard_name.find('/') != std::string::npos || shard_name == "..")
        throw Error(index_name + ": weight_map entry '" + tensor + "' names an invalid file '" +
                    shard_name + "'");
      auto it = opened.find(shard_name);
      if (it == opened.end()) {
        const fs::path shard_path = root / shard_name;
        if (!fs::exists(shard_path, ec))
          throw Error(index_name + ": weight_map entry '" + tensor + "' names shard '" +
                      shard_name + "', which does not exist");
        ckpt.files_.push_back(std::make_unique<SafetensorsFile>(shard_path.string()));
        it = opened.emplace(shard_name, ckpt.files_.size() - 1).first;
      }
      const SafetensorsTensor* t = ckpt.files_[it->second]->find(tensor);
      if (t == nullptr)
        throw Error(index_name + ": tensor '" + tensor + "' is not in its shard '" + shard_name +
                    "'");
      ckpt.index_[tensor] = t;
    }
    if (ckpt.index_.empty()) throw Error(index_name + ": weight_map is empty");
    return ckpt;
  }
  fs::path single = root / "model.safetensors";
  if (!fs::exists(single, ec)) {
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(root, ec))
      if (e.path().extension() == ".safetensors") found.push_back(e.path());
    if (ec) throw Error(dir + ": cannot list the folder (" + ec.message() + ")");
    if (found.size() != 1)
      throw Error(dir + ": no model.safetensors.index.json or model.safetensors (found " +
                  std::to_string(found.size()) + " .safetensors files)");
    single = found[0];
  }
  ckpt.files_.push_back(std::make_unique<SafetensorsFile>(single.string()));
  for (const auto& [name, t] : ckpt.files_.back()->tensors()) ckpt.index_[name] = &t;
  return ckpt;
}

const SafetensorsTensor* SafetensorsCheckpoint::find(const std::string& tensor_name) const {
  auto it = index_.find(tensor_name);
  return it == index_.end() ? nullptr : it->second;
}

const SafetensorsTensor& SafetensorsCheckpoint::get(const std::string& tensor_name) const {
  const SafetensorsTensor* t = find(tensor_name);
  if (t == nullptr)
    throw Error(dir_ + ": tensor '" + tensor_name + "' is missing from the checkpoint");
  return *t;
}

std::vector<float> safetensors_to_f32(const SafetensorsTensor& tensor) {
  const int64_t n = tensor.element_count();
  std::vector<float> out(static_cast<size_t>(n));
  if (tensor.dtype == DType::F32) {
    std::memcpy(out.data(), tensor.data, static_cast<size_t>(n) * 4);
    return out;
  }
  for (int64_t i = 0; i < n; ++i) {
    uint16_t bits;
    std::memcpy(&bits, tensor.data + i * 2, 2);
    out[static_cast<size_t>(i)] =
        tensor.dtype == DType::F16 ? kernels::fp16_to_fp32(bits) : kernels::bf16_to_fp32(bits);
  }
  return out;
}

}  // namespace parley::llm
