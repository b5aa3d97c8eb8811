// NodeInfo: attribute access and load-time facts about one node, read from its NodeProto.
#include "kernels/error.h"
#include "kernels/onnx/model_data.h"
#include "kernels/onnx/op_kernel.h"

namespace parley::onnx {
namespace {

using ::onnx::AttributeProto;

const AttributeProto* find_attr(const detail::NodeState& s, std::string_view name) {
  for (const AttributeProto& a : s.proto->attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

const AttributeProto& typed_attr(const NodeInfo& node, std::string_view name,
                                 AttributeProto::AttributeType type, const char* type_name) {
  const AttributeProto* a = find_attr(node.state(), name);
  if (a == nullptr) node.fail("required attribute '" + std::string(name) + "' is missing");
  if (a->type() != type && !(a->type() == AttributeProto::UNDEFINED)) {
    node.fail("attribute '" + std::string(name) + "' must be " + type_name);
  }
  return *a;
}

}  // namespace

std::string_view NodeInfo::op_type() const { return state_.proto->op_type(); }
std::optional<float> NodeInfo::fused_input_leaky_relu() const { return state_.input_leaky_relu; }
std::string_view NodeInfo::domain() const { return state_.domain; }
std::string_view NodeInfo::name() const { return state_.proto->name(); }
int NodeInfo::opset() const { return state_.opset; }

int NodeInfo::input_count() const { return static_cast<int>(state_.inputs.size()); }
bool NodeInfo::has_input(int index) const {
  return index >= 0 && index < input_count() && state_.inputs[index] >= 0;
}
int NodeInfo::output_count() const { return static_cast<int>(state_.outputs.size()); }
bool NodeInfo::has_output(int index) const {
  return index >= 0 && index < output_count() && state_.outputs[index] >= 0;
}

const Value* NodeInfo::constant_input(int index) const {
  if (!has_input(index)) return nullptr;
  return state_.graph->slots[state_.inputs[index]].constant;
}

bool NodeInfo::has_attr(std::string_view name) const { return find_attr(state_, name) != nullptr; }

int64_t NodeInfo::attr_int(std::string_view name) const {
  return typed_attr(*this, name, AttributeProto::INT, "an int").i();
}
int64_t NodeInfo::attr_int(std::string_view name, int64_t default_value) const {
  return has_attr(name) ? attr_int(name) : default_value;
}
float NodeInfo::attr_float(std::string_view name) const {
  return typed_attr(*this, name, AttributeProto::FLOAT, "a float").f();
}
float NodeInfo::attr_float(std::string_view name, float default_value) const {
  return has_attr(name) ? attr_float(name) : default_value;
}
std::string NodeInfo::attr_string(std::string_view name) const {
  return typed_attr(*this, name, AttributeProto::STRING, "a string").s();
}
std::string NodeInfo::attr_string(std::string_view name, std::string_view default_value) const {
  return has_attr(name) ? attr_string(name) : std::string(default_value);
}
std::vector<int64_t> NodeInfo::attr_ints(std::string_view name) const {
  if (!has_attr(name)) return {};
  const AttributeProto& a = typed_attr(*this, name, AttributeProto::INTS, "a list of ints");
  return {a.ints().begin(), a.ints().end()};
}
std::vector<float> NodeInfo::attr_floats(std::string_view name) const {
  if (!has_attr(name)) return {};
  const AttributeProto& a = typed_attr(*this, name, AttributeProto::FLOATS, "a list of floats");
  return {a.floats().begin(), a.floats().end()};
}
std::vector<std::string> NodeInfo::attr_strings(std::string_view name) const {
  if (!has_attr(name)) return {};
  const AttributeProto& a = typed_attr(*this, name, AttributeProto::STRINGS, "a list of strings");
  return {a.strings().begin(), a.strings().end()};
}
const Value* NodeInfo::attr_tensor(std::string_view name) const {
  auto it = state_.attr_tensors.find(name);
  return it == state_.attr_tensors.end() ? nullptr : it->second;
}
const Graph* NodeInfo::attr_graph(std::string_view name) const {
  auto it = state_.subgraphs.find(name);
  return it == state_.subgraphs.end() ? nullptr : it->second.get();
}

std::string NodeInfo::describe() const {
  std::string op = state_.domain.empty() ? state_.proto->op_type()
                                         : state_.domain + ":" + state_.proto->op_type();
  return "node '" + state_.proto->name() + "' (" + op + " opset " +
         std::to_string(state_.opset) + ")";
}

void NodeInfo::fail(std::string_view message) const {
  throw Error(state_.model->path + ": " + describe() + ": " + std::string(message));
}

}  // namespace parley::onnx
