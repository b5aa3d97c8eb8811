// Model: an ONNX model loaded, checked and prepared for execution — immutable and shared by any
// number of Sessions (session.h), which hold all per-run state.
//
//   std::shared_ptr<const Model> model = Model::load("silero_vad.onnx");   // throws parley::Error
//   for (const ValueInfo& in : model->inputs()) std::cout << in.name << in.shape_string();
//   std::string sample_rate = model->metadata("sample_rate");              // "" when absent
//
// Loading parses the protobuf with Debian's libonnx/libprotobuf, resolves external data files
// (relative to the model's folder, never outside it), runs the ONNX checker and shape inference
// (their complaints are kept in diagnostics(), since libonnx 1.12 does not know every opset a
// model may import), resolves each node's opset from the model's opset_import, creates every
// op's kernel from OpRegistry::builtin() and folds all nodes that depend only on initializers and
// Constant nodes, inside If/Loop/Scan bodies too. A model using ops the registry lacks fails
// with ONE parley::Error listing every missing (domain, op, opset). Corrupt files fail with an
// error naming the file. Thread safety: a loaded Model is read-only; share it freely.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/onnx/graph.h"
#include "kernels/onnx/value.h"

namespace parley::onnx {

struct ModelOptions {
  bool run_checker = true;          // onnx::checker::check_model; findings go to diagnostics()
  bool infer_shapes = true;         // onnx::shape_inference::InferShapes (for inspect/hints)
  bool fold_constants = true;
  const OpRegistry* registry = nullptr;  // null = OpRegistry::builtin()
};

class Model {
 public:
  static std::shared_ptr<const Model> load(const std::string& path,
                                           const ModelOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& path() const;
  int64_t ir_version() const;
  const std::string& producer() const;            // "pytorch 2.1.0"
  const std::map<std::string, int>& opsets() const;  // domain ("" = ai.onnx) -> version
  const std::map<std::string, std::string>& metadata() const;
  std::string metadata(std::string_view key) const;  // "" when absent
  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  const Graph& graph() const;
  // The name of input `index` of the top-level node called `node_name` ("" when there is no such
  // node or input): a way to find a value to cut a graph at (Session::run_part).
  std::string node_input_name(std::string_view node_name, int index) const;
  // Checker and shape-inference findings that did not stop the load.
  const std::vector<std::string>& diagnostics() const;
  // Nodes executed per run (after folding) / nodes in the file, counting subgraphs.
  int runtime_node_count() const;
  int file_node_count() const;

  struct PrivateTag {};
  Model(PrivateTag, std::unique_ptr<ModelData> data);
  ModelData& data() const { return *data_; }

 private:
  std::unique_ptr<ModelData> data_;
};

// Reads a serialized onnx TensorProto (the input_N.pb / output_N.pb files of ONNX test data
// sets). The returned value owns its bytes through `storage`.
struct OwnedValue {
  std::string name;
  Value value;
  std::shared_ptr<void> storage;
};
OwnedValue load_tensor_file(const std::string& path);

// Human-readable description for `parley inspect MODEL.onnx`: ir version, producer, opsets,
// inputs/outputs with shapes, op histogram with support status, metadata. Works for models with
// unsupported ops (it does not create kernels). Throws parley::Error for unreadable files.
std::string describe_model_file(const std::string& path);

// Op types of every node in file order, subgraphs included, as "op" for ai.onnx and
// "domain:op" otherwise (the conformance driver uses it to attribute a test to an op).
std::vector<std::string> list_model_ops(const std::string& path);

}  // namespace parley::onnx
