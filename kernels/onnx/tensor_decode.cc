// Decoding of onnx TensorProto / ValueInfoProto into runtime Values, with every field checked
// against the declared shape and, for external data, against the data file's size.
#include <cstring>
#include <filesystem>
#include <limits>

#include "kernels/error.h"
#include "kernels/onnx/model.h"
#include "kernels/onnx/model_data.h"
#include "onnx/proto_utils.h"

namespace parley::onnx {
namespace {

bool is_known_type(int32_t t) {
  return (t >= 1 && t <= 13 && t != 8) || t == 16;
}

[[noreturn]] void tensor_error(const ModelData& model, const std::string& what,
                               const std::string& message) {
  throw Error(model.path + ": tensor '" + what + "': " + message);
}

// Copies `n` elements of a typed repeated field into `dst`, narrowing to the storage type.
template <typename Dst, typename Field>
void copy_field(const Field& field, void* dst, int64_t n) {
  Dst* out = static_cast<Dst*>(dst);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Dst>(field.Get(static_cast<int>(i)));
}

const uint8_t* external_bytes(const ::onnx::TensorProto& tensor, ModelData& model,
                              const std::string& what, size_t bytes) {
  std::string location;
  uint64_t offset = 0;
  int64_t length = -1;
  for (const auto& entry : tensor.external_data()) {
    try {
      if (entry.key() == "location") location = entry.value();
      if (entry.key() == "offset") offset = std::stoull(entry.value());
      if (entry.key() == "length") length = std::stoll(entry.value());
    } catch (const std::exception&) {
      tensor_error(model, what, "external_data field '" + entry.key() + "' is not a number: '" +
                                    entry.value() + "'");
    }
  }
  if (location.empty()) tensor_error(model, what, "external data without a location");
  std::filesystem::path rel(location);
  if (rel.is_absolute()) tensor_error(model, what, "external data path is absolute: " + location);
  for (const auto& part : rel) {
    if (part == "..") tensor_error(model, what, "external data path leaves the model folder");
  }
  if (length >= 0 && static_cast<uint64_t>(length) != bytes) {
    tensor_error(model, what, "external data length " + std::to_string(length) + " != " +
                                  std::to_string(bytes) + " bytes the shape needs");
  }
  std::string full = (std::filesystem::path(model.folder) / rel).string();
  auto it = model.external_files.find(full);
  if (it == model.external_files.end()) {
    it = model.external_files.emplace(full, std::make_unique<kernels::MappedFile>(full)).first;
  }
  return it->second->region(offset, bytes, "external data of tensor '" + what + "'");
}

}  // namespace

const Value* decode_tensor(const ::onnx::TensorProto& tensor, ModelData& model,
                           const std::string& what) {
  if (!is_known_type(tensor.data_type())) {
    tensor_error(model, what, tensor.data_type() == 8
                                  ? std::string("string tensors are not supported")
                                  : "unknown data_type " + std::to_string(tensor.data_type()));
  }
  if (tensor.has_segment()) tensor_error(model, what, "segmented tensors are not supported");
  Value* value = model.new_value();
  value->type = static_cast<ElemType>(tensor.data_type());
  if (tensor.dims_size() > kMaxRank) {
    tensor_error(model, what, "rank " + std::to_string(tensor.dims_size()) + " exceeds " +
                                  std::to_string(kMaxRank));
  }
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) tensor_error(model, what, "negative dim " + std::to_string(d));
    if (d > 0 && count > std::numeric_limits<int64_t>::max() / 16 / d) {
      tensor_error(model, what, "element count overflows");
    }
    count *= d;
    value->shape.push_back(d);
  }
  const size_t esize = elem_size(value->type);
  const size_t bytes = static_cast<size_t>(count) * esize;

  if (tensor.data_location() == ::onnx::TensorProto::EXTERNAL) {
    value->raw = const_cast<uint8_t*>(external_bytes(tensor, model, what, bytes));
    return value;
  }
  if (tensor.has_raw_data()) {
    const std::string& raw = tensor.raw_data();
    if (raw.size() != bytes) {
      tensor_error(model, what, "raw_data has " + std::to_string(raw.size()) + " bytes, shape " +
                                    value->shape.to_string() + " needs " + std::to_string(bytes));
    }
    if (reinterpret_cast<uintptr_t>(raw.data()) % esize == 0) {
      value->raw = const_cast<char*>(raw.data());  // zero-copy: the proto outlives the Value
    } else {
      value->raw = model.new_bytes(bytes);
      std::memcpy(value->raw, raw.data(), bytes);
    }
    return value;
  }
  // Allocates only once the typed field holds the elements the shape declares: a few bytes of
  // protobuf can declare dims [10^12] without any data.
  auto check_count = [&](int field_size, const char* field) {
    if (field_size != count) {
      tensor_error(model, what, std::string(field) + " has " + std::to_string(field_size) +
                                    " elements, shape " + value->shape.to_string() + " needs " +
                                    std::to_string(count));
    }
    value->raw = model.new_bytes(bytes);
  };
  switch (value->type) {
    case ElemType::kFloat:
      check_count(tensor.float_data_size(), "float_data");
      copy_field<float>(tensor.float_data(), value->raw, count);
      break;
    case ElemType::kDouble:
      check_count(tensor.double_data_size(), "double_data");
      copy_field<double>(tensor.double_data(), value->raw, count);
      break;
    case ElemType::kInt64:
      check_count(tensor.int64_data_size(), "int64_data");
      copy_field<int64_t>(tensor.int64_data(), value->raw, count);
      break;
    case ElemType::kUint32:
      check_count(tensor.uint64_data_size(), "uint64_data");
      copy_field<uint32_t>(tensor.uint64_data(), value->raw, count);
      break;
    case ElemType::kUint64:
      check_count(tensor.uint64_data_size(), "uint64_data");
      copy_field<uint64_t>(tensor.uint64_data(), value->raw, count);
      break;
    case ElemType::kInt32:
      check_count(tensor.int32_data_size(), "int32_data");
      copy_field<int32_t>(tensor.int32_data(), value->raw, count);
      break;
    case ElemType::kInt16:
      check_count(tensor.int32_data_size(), "int32_data");
      copy_field<int16_t>(tensor.int32_data(), value->raw, count);
      break;
    case ElemType::kUint16:
    case ElemType::kFloat16:
    case ElemType::kBFloat16:
      check_count(tensor.int32_data_size(), "int32_data");
      copy_field<uint16_t>(tensor.int32_data(), value->raw, count);
      break;
    case ElemType::kInt8:
      check_count(tensor.int32_data_size(), "int32_data");
      copy_field<int8_t>(tensor.int32_data(), value->raw, count);
      break;
    case ElemType::kUint8:
      check_count(tensor.int32_data_size(), "int32_data");
      copy_field<uint8_t>(tensor.int32_data(), value->raw, count);
      break;
    case ElemType::kBool: {
      check_count(tensor.int32_data_size(), "int32_data");
      uint8_t* out = static_cast<uint8_t*>(value->raw);
      for (int64_t i = 0; i < count; ++i) out[i] = tensor.int32_data(static_cast<int>(i)) != 0;
      break;
    }
    default:
      tensor_error(model, what, "unsupported data_type " + std::to_string(tensor.data_type()));
  }
  return value;
}

ValueInfo decode_value_info(const ::onnx::ValueInfoProto& info) {
  ValueInfo out;
  out.name = info.name();
  if (!info.type().has_tensor_type()) return out;
  const auto& tensor_type = info.type().tensor_type();
  out.type = static_cast<ElemType>(tensor_type.elem_type());
  if (!tensor_type.has_shape()) return out;
  out.has_shape = true;
  for (const auto& dim : tensor_type.shape().dim()) {
    out.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    out.dim_names.push_back(dim.has_dim_param() ? dim.dim_param() : std::string());
  }
  return out;
}

std::string ValueInfo::shape_string() const {
  if (!has_shape) return "?";
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += ", ";
    if (dims[i] >= 0) {
      s += std::to_string(dims[i]);
    } else {
      s += dim_names[i].empty() ? "?" : dim_names[i];
    }
  }
  return s + "]";
}

OwnedValue load_tensor_file(const std::string& path) {
  auto data = std::make_shared<ModelData>();
  data->path = path;
  data->folder = std::filesystem::path(path).parent_path().string();
  kernels::MappedFile file(path);
  auto proto = std::make_shared<::onnx::TensorProto>();
  if (!::onnx::ParseProtoFromBytes(proto.get(), reinterpret_cast<const char*>(file.data()),
                                   file.size())) {
    throw Error(path + ": not a valid serialized onnx TensorProto");
  }
  const Value* v = decode_tensor(*proto, *data, proto->name());
  OwnedValue out;
  out.name = proto->name();
  out.value = *v;
  // Keep both the decoded storage and the proto (zero-copy raw_data) alive.
  out.storage = std::shared_ptr<void>(
      new std::pair<std::shared_ptr<ModelData>, std::shared_ptr<::onnx::TensorProto>>(data, proto),
      [](void* p) {
        delete static_cast<
            std::pair<std::shared_ptr<ModelData>, std::shared_ptr<::onnx::TensorProto>>*>(p);
      });
  return out;
}

}  // namespace parley::onnx
