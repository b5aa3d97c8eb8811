// Internal to kernels/onnx: the storage behind a Model (the parsed protobuf, decoded tensors,
// mapped external-data files, the executable graph) and the tensor decoder. Only .cc files of
// kernels/onnx include this (it pulls in the onnx protobuf headers).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/onnx/graph.h"
#include "kernels/onnx/value.h"
#include "kernels/storage.h"
#include "onnx/onnx_pb.h"

namespace parley::onnx {

struct ModelData {
  std::string path;
  std::string folder;  // external data files are resolved inside it
  std::unique_ptr<::onnx::ModelProto> proto;
  int64_t ir_version = 0;
  std::string producer;
  std::map<std::string, int> opsets;
  std::map<std::string, std::string> metadata;
  std::vector<std::string> diagnostics;
  const OpRegistry* registry = nullptr;
  bool fold_constants = true;
  std::unique_ptr<Graph> graph;
  int runtime_node_count = 0;
  int file_node_count = 0;

  // Owned bytes of decoded tensors and folded constants, and the Values describing them. Deques
  // keep addresses stable as they grow.
  std::deque<kernels::AlignedBuffer> buffers;
  std::deque<Value> values;
  std::map<std::string, std::unique_ptr<kernels::MappedFile>> external_files;

  Value* new_value() { return &values.emplace_back(); }
  void* new_bytes(size_t bytes) { return buffers.emplace_back(bytes == 0 ? 1 : bytes).data(); }
};

// Decodes a TensorProto into a Value whose bytes live in `model` (or point into the proto's
// raw_data / a mapped external file, zero-copy). `what` names the tensor in error messages.
const Value* decode_tensor(const ::onnx::TensorProto& tensor, ModelData& model,
                           const std::string& what);

// Shape and element type of a ValueInfoProto.
ValueInfo decode_value_info(const ::onnx::ValueInfoProto& info);

// Builds the executable graph of `proto` (kernels created, constants folded). `parent` is the
// enclosing scope for subgraphs, null for the main graph. Ops missing from the registry are
// appended to `missing` ("domain:op opset N") instead of failing, so that all are reported.
std::unique_ptr<Graph> build_graph(const ::onnx::GraphProto& proto, ModelData& model,
                                   const Graph* parent, std::vector<std::string>& missing);

}  // namespace parley::onnx
