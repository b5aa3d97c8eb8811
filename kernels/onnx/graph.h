// Graph: a loaded ONNX (sub)graph in executable form — value slots, nodes in topological order
// with their kernels, constant values folded at load, and the liveness data the Session uses to
// return buffers to its arena as soon as a value's last consumer has run.
//
// Built once by Model (model.cc) and immutable afterwards; Sessions keep their mutable state
// (value tables, buffers) outside it. Control-flow ops receive a `const Graph*` from
// NodeInfo::attr_graph and hand it back to OpContext::run_subgraph; they need nothing else here.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/onnx/op_kernel.h"
#include "kernels/onnx/value.h"

namespace onnx {
class NodeProto;
}  // namespace onnx

namespace parley::onnx {

class Model;
struct ModelData;

// Static description of a graph input or output: element type and dims, where a dim is a number,
// a symbolic name (dim_param) or unknown (-1 with an empty name).
struct ValueInfo {
  std::string name;
  ElemType type = ElemType::kUndefined;
  bool has_shape = false;
  std::vector<int64_t> dims;             // -1 where not a fixed number
  std::vector<std::string> dim_names;    // symbolic names, "" where none
  std::string shape_string() const;      // "[1, N, 80]" or "?" when unknown
};

// One named value of a graph scope.
struct Slot {
  std::string name;
  int producer = -1;         // node index in Graph::nodes, -1 for inputs/constants/outer refs
  int consumer_count = 0;    // nodes that read it (implicit subgraph reads included)
  bool is_graph_output = false;
  const Value* constant = nullptr;  // set when known at load time (lives in ModelData)
  // When >= 0 the value lives in the enclosing scope: slot `outer_slot` of `parent`.
  int outer_slot = -1;
};

namespace detail {

struct NodeState {
  const ::onnx::NodeProto* proto = nullptr;  // owned by ModelData's ModelProto
  std::string domain;                        // canonical ("" for ai.onnx)
  int opset = 0;
  std::vector<int> inputs;   // slot ids, -1 for absent optional inputs
  std::vector<int> outputs;  // slot ids, -1 for unnamed outputs
  // Slots of this scope read by subgraphs of this node (they must stay alive until it runs).
  std::vector<int> implicit_inputs;
  std::map<std::string, std::unique_ptr<Graph>, std::less<>> subgraphs;  // by attribute name
  std::map<std::string, const Value*, std::less<>> attr_tensors;         // decoded, in ModelData
  std::unique_ptr<OpKernel> kernel;
  const Graph* graph = nullptr;  // the graph this node belongs to
  ModelData* model = nullptr;
  // Set by the load-time fusion of a LeakyRelu into this node (a Conv): input 0 is the
  // LeakyRelu's input, and the kernel applies LeakyRelu(alpha) to it as it reads it.
  std::optional<float> input_leaky_relu;
};

}  // namespace detail

class Graph {
 public:
  std::string name;
  const Graph* parent = nullptr;  // enclosing scope for subgraphs
  std::vector<Slot> slots;
  std::vector<int> input_slots;   // formal inputs (initializers with defaults excluded)
  std::vector<int> output_slots;
  std::vector<ValueInfo> inputs;  // parallel to input_slots
  std::vector<ValueInfo> outputs; // parallel to output_slots
  // Nodes to run, topologically ordered. Folded nodes are removed: their outputs are constants.
  std::vector<std::unique_ptr<detail::NodeState>> nodes;
  // Slots the executor may release after node i ran (their last consumer), per node.
  std::vector<std::vector<int>> release_after;
  std::map<std::string, int, std::less<>> slot_by_name;

  int find_slot(std::string_view name) const {
    auto it = slot_by_name.find(name);
    return it == slot_by_name.end() ? -1 : it->second;
  }
};

}  // namespace parley::onnx
