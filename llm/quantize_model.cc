#include "llm/quantize_model.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "kernels/error.h"
#include "llm/gguf.h"
#include "llm/gguf_writer.h"

namespace parley::llm {
namespace {

using kernels::DType;

constexpr QuantMixInfo kMixes[] = {
    {QuantMix::kQ8_0, "Q8_0", DType::Q8_0, 7},      {QuantMix::kQ4_0, "Q4_0", DType::Q4_0, 2},
    {QuantMix::kQ6_K, "Q6_K", DType::Q6_K, 18},     {QuantMix::kQ4_K_M, "Q4_K_M", DType::Q4_K, 15},
    {QuantMix::kQ5_K_M, "Q5_K_M", DType::Q5_K, 17},
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// llama.cpp's use_more_bits: first and last eighth of the layers and every third between.
bool more_bits(int32_t layer, int32_t n_layer) {
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

int32_t layer_of(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int32_t layer = 0;
  size_t i = 4;
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); ++i)
    layer = layer * 10 + (name[i] - '0');
  return layer;
}

bool fits(DType type, int64_t row_length) {
  return row_length % kernels::dtype_traits(type).block_size == 0;
}

// Metadata values re-encoded exactly as GGUF stores them after the type field.
template <typename T>
void put(std::vector<uint8_t>& out, T value) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}
void put_string(std::vector<uint8_t>& out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}
void encode_value(const GgufValue& v, std::vector<uint8_t>& out);
void encode_array(const GgufValue& v, std::vector<uint8_t>& out) {
  put<uint32_t>(out, static_cast<uint32_t>(v.element_type));
  put<uint64_t>(out, v.count);
  if (v.element_type == GgufType::STRING) {
    for (std::string_view s : v.strings) put_string(out, s);
  } else if (v.element_type == GgufType::ARRAY) {
    for (const GgufValue& item : v.items) encode_array(item, out);
  } else {
    out.insert(out.end(), v.raw, v.raw + v.count * static_cast<size_t>(fixed_type_bytes(static_cast<uint32_t>(v.element_type))));
  }
}
void encode_value(const GgufValue& v, std::vector<uint8_t>& out) {
  switch (v.type) {
    case GgufType::U8:
      put<uint8_t>(out, static_cast<uint8_t>(v.u64));
      break;
    case GgufType::I8:
      put<int8_t>(out, static_cast<int8_t>(v.i64));
      break;
    case GgufType::U16:
      put<uint16_t>(out, static_cast<uint16_t>(v.u64));
      break;
    case GgufType::I16:
      put<int16_t>(out, static_cast<int16_t>(v.i64));
      break;
    case GgufType::U32:
      put<uint32_t>(out, static_cast<uint32_t>(v.u64));
      break;
    case GgufType::I32:
      put<int32_t>(out, static_cast<int32_t>(v.i64));
      break;
    case GgufType::U64:
      put<uint64_t>(out, v.u64);
      break;
    case GgufType::I64:
      put<int64_t>(out, v.i64);
      break;
    case GgufType::F32:
      put<float>(out, static_cast<float>(v.f64));
      break;
    case GgufType::F64:
      put<double>(out, v.f64);
      break;
    case GgufType::BOOL:
      put<uint8_t>(out, v.boolean ? 1 : 0);
      break;
    case GgufType::STRING:
      put_string(out, v.string);
      break;
    case GgufType::ARRAY:
      encode_array(v, out);
      break;
  }
}

}  // namespace

const QuantMixInfo& quant_mix_info(QuantMix mix) {
  for (const QuantMixInfo& m : kMixes)
    if (m.mix == mix) return m;
  return kMixes[0];
}

std::optional<QuantMix> quant_mix_from_name(std::string_view name) {
  for (const QuantMixInfo& m : kMixes) {
    if (m.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size(); ++i)
      same = same && std::toupper(static_cast<unsigned char>(name[i])) == m.name[i];
    if (same) return m.mix;
  }
  return std::nullopt;
}

std::vector<std::string_view> quant_mix_names() {
  std::vector<std::string_view> names;
  for (const QuantMixInfo& m : kMixes) names.push_back(m.name);
  return names;
}

DType choose_quant_type(QuantMix mix, const TensorQuantInput& t) {
  const std::string_view name = t.name;
  if (t.ndim < 2 || !ends_with(name, "weight") || contains(name, "_norm.weight")) return t.current;
  const QuantMixInfo& info = quant_mix_info(mix);
  DType type = info.base;
  const bool k_medium = mix == QuantMix::kQ4_K_M || mix == QuantMix::kQ5_K_M;
  if (name == "output.weight" || (t.tied_embeddings && name == "token_embd.weight")) {
    if (!fits(type, t.row_length)) {
      type = DType::Q8_0;
    } else if (type != DType::Q8_0) {
      type = DType::Q6_K;
    }
  } else if (k_medium && (contains(name, "attn_v.weight") || contains(name, "ffn_down"))) {
    const int32_t layer = layer_of(name);
    if (layer >= 0 && more_bits(layer, std::max(t.n_layer, 1))) type = DType::Q6_K;
  }
  if (!fits(type, t.row_length)) {
    switch (type) {
      case DType::Q4_K:
        type = DType::Q5_0;
        break;
      case DType::Q5_K:
        type = DType::Q5_1;
        break;
      case DType::Q6_K:
        type = DType::Q8_0;
        break;
      default:
        type = DType::F16;
        break;
    }
    if (!fits(type, t.row_length)) type = DType::F16;
  }
  return type;
}

QuantizeSummary quantize_gguf(const std::string& in_path, const std::string& out_path, QuantMix mix,
                              const QuantizeOptions& options) {
  const GgufFile in(in_path);
  const QuantMixInfo& info = quant_mix_info(mix);
  GgufWriter w;
  for (const GgufKeyValue& kv : in.metadata()) {
    if (kv.key == "general.file_type" || kv.key == "general.quantization_version" ||
        kv.key == "general.alignment")
      continue;
    std::vector<uint8_t> encoded;
    encode_value(kv.value, encoded);
    w.set_encoded(std::string(kv.key), static_cast<uint32_t>(kv.value.type), encoded);
  }
  w.set_u32("general.file_type", info.file_type);
  w.set_u32("general.quantization_version", 2);

  int32_t n_layer = 0;
  if (auto arch = in.find_string("general.architecture"))
    if (auto blocks = in.find_u32(std::string(*arch) + ".block_count"))
      n_layer = static_cast<int32_t>(*blocks);
  if (n_layer == 0)
    for (const GgufTensorInfo& t : in.tensors()) n_layer = std::max(n_layer, layer_of(t.name) + 1);
  const bool tied = in.find_tensor("output.weight") == nullptr;

  QuantizeSummary summary;
  std::vector<float> row;
  for (const GgufTensorInfo& t : in.tensors()) {
    const TensorQuantInput input{t.name, t.ndim, t.ne[0], n_layer, tied, t.dtype};
    const DType type = choose_quant_type(mix, input);
    const std::string name(t.name);
    std::vector<int64_t> shape;
    for (int i = t.ndim - 1; i >= 0; --i) shape.push_back(t.ne[static_cast<size_t>(i)]);
    const uint8_t* src = in.data() + in.data_offset_bytes() + t.offset_bytes;
    std::vector<uint8_t> data;
    if (type == t.dtype) {
      data.assign(src, src + t.size_bytes);
    } else {
      const kernels::DTypeTraits& from = kernels::dtype_traits(t.dtype);
      const kernels::DTypeTraits& to = kernels::dtype_traits(type);
      if (from.is_quantized && !options.allow_requantize)
        throw Error(in_path + ": tensor '" + name + "' is already " + std::string(from.name) +
                    "; re-quantizing loses quality (allow it with --allow-requantize)");
      if (from.to_float == nullptr || to.from_float == nullptr)
        throw Error(in_path + ": tensor '" + name + "' of type " + std::string(from.name) +
                    " cannot be converted to " + std::string(to.name));
      const int64_t cols = t.ne[0], rows = t.element_count / std::max<int64_t>(cols, 1);
      const int64_t in_row = kernels::row_bytes(t.dtype, cols),
                    out_row = kernels::row_bytes(type, cols);
      data.resize(static_cast<size_t>(rows * out_row));
      row.resize(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        from.to_float(src + r * in_row, row.data(), cols);
        to.from_float(row.data(), data.data() + r * out_row, cols);
      }
      ++summary.quantized_count;
    }
    if (options.log)
      options.log(name + ": " + std::string(kernels::dtype_name(t.dtype)) + " -> " +
                  std::string(kernels::dtype_name(type)));
    summary.input_bytes += t.size_bytes;
    summary.output_bytes += data.size();
    ++summary.tensor_count;
    ++summary.type_counts[std::string(kernels::dtype_name(type))];
    w.add_tensor(name, type, std::move(shape), std::move(data));
  }
  w.write(out_path);
  return summary;
}

}  // namespace parley::llm
