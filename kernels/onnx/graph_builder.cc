// Builds a Graph from a GraphProto: slots for every named value, name resolution into enclosing
// scopes, topological order, kernel creation through the registry, constant folding and the
// liveness table (which slot can be released after which node).
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <set>

#include "kernels/error.h"
#include "kernels/onnx/model_data.h"
#include "kernels/storage.h"

namespace parley::onnx {
namespace {

// Ops whose result is not a function of their inputs; never folded.
bool is_nondeterministic(const detail::NodeState& node) {
  static const std::set<std::string, std::less<>> kOps = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
      "Bernoulli"};
  return kOps.count(node.proto->op_type()) > 0;
}

// Outputs larger than this are not folded into constants at load: the node runs per session
// instead (a huge constant would sit in memory for the model's lifetime, and a hostile shape
// must not make loading allocate it).
constexpr size_t kMaxFoldedBytes = size_t{256} << 20;
struct TooLargeToFold {};

// Runs one node at load time; outputs become Model-owned constants.
class FoldContext final : public OpContext {
 public:
  FoldContext(const detail::NodeState& node, const NodeInfo& info, ModelData& model,
              kernels::ThreadPool& pool)
      : node_(node), info_(info), model_(model), pool_(pool), outputs_(node.outputs.size()) {}

  int input_count() const override { return static_cast<int>(node_.inputs.size()); }
  const Value* input_or_null(int index) const override {
    if (index < 0 || index >= input_count() || node_.inputs[index] < 0) return nullptr;
    return node_.graph->slots[node_.inputs[index]].constant;
  }
  int output_count() const override { return static_cast<int>(node_.outputs.size()); }
  bool output_wanted(int index) const override {
    return index >= 0 && index < output_count() && node_.outputs[index] >= 0;
  }
  Value& allocate_output(int index, ElemType type, const Shape& shape) override {
    check_output(index);
    const std::optional<size_t> bytes = checked_byte_size(type, shape);
    if (!bytes.has_value()) fail("output shape " + shape.to_string() + " is negative or too large");
    if (*bytes > kMaxFoldedBytes) throw TooLargeToFold{};
    Value* v = model_.new_value();
    v->type = type;
    v->shape = shape;
    v->raw = model_.new_bytes(*bytes);
    outputs_[index] = v;
    return *v;
  }
  void alias_output(int index, const Value& input, const Shape& shape) override {
    check_output(index);
    if (shape.element_count() != input.element_count()) {
      fail("alias_output: shape " + shape.to_string() + " does not match " + input.describe());
    }
    Value* v = model_.new_value();
    *v = input;
    v->shape = shape;
    outputs_[index] = v;
  }
  void* scratch_bytes(size_t bytes) override {
    if (bytes > kMaxFoldedBytes) throw TooLargeToFold{};
    return scratch_.emplace_back(bytes == 0 ? 1 : bytes).data();
  }
  kernels::ThreadPool& pool() override { return pool_; }
  const NodeInfo& node() const override { return info_; }
  uint64_t next_random_seed() override { fail("random ops are not folded"); }
  std::span<const Value> run_subgraph(const Graph&, std::span<const Value>) override {
    fail("subgraphs are not folded");
  }

  const Value* output(int index) const { return outputs_[index]; }

 private:
  void check_output(int index) {
    if (index < 0 || index >= output_count()) {
      fail("output index " + std::to_string(index) + " out of range");
    }
    if (outputs_[index] != nullptr) fail("output " + std::to_string(index) + " set twice");
  }

  const detail::NodeState& node_;
  const NodeInfo& info_;
  ModelData& model_;
  kernels::ThreadPool& pool_;
  std::vector<const Value*> outputs_;
  std::deque<kernels::AlignedBuffer> scratch_;
};

bool can_fold(const Graph& g, const detail::NodeState& node, const ModelData& model) {
  if (!model.fold_constants || !node.subgraphs.empty() || is_nondeterministic(node)) {
    return false;
  }
  for (int s : node.inputs) {
    if (s >= 0 && g.slots[s].constant == nullptr) return false;
  }
  return true;
}

// Runs `node` (kernel already created) at load time; its outputs become constants of g.
void fold_node(Graph& g, const detail::NodeState& node, ModelData& model,
               kernels::ThreadPool& pool) {
  const NodeInfo info(node);
  FoldContext ctx(node, info, model, pool);
  node.kernel->compute(ctx);
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] < 0) continue;
    if (ctx.output(static_cast<int>(i)) == nullptr) {
      info.fail("output " + std::to_string(i) + " was not produced");
    }
    g.slots[node.outputs[i]].constant = ctx.output(static_cast<int>(i));
  }
}

void renumber_producers(Graph& g) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int s : g.nodes[i]->outputs) {
      if (s >= 0) g.slots[s].producer = static_cast<int>(i);
    }
  }
}

void plan_graph_liveness(Graph& g) {
  const int n = static_cast<int>(g.nodes.size());
  std::vector<int> last_use(g.slots.size(), -1);
  for (Slot& slot : g.slots) slot.consumer_count = 0;
  for (int i = 0; i < n; ++i) {
    for (int s : g.nodes[i]->outputs) {
      if (s >= 0) last_use[s] = std::max(last_use[s], i);  // dead outputs: free at once
    }
    for (int s : g.nodes[i]->inputs) {
      if (s >= 0) last_use[s] = i, ++g.slots[s].consumer_count;
    }
    for (int s : g.nodes[i]->implicit_inputs) last_use[s] = i, ++g.slots[s].consumer_count;
  }
  g.release_after.assign(n, {});
  for (size_t s = 0; s < g.slots.size(); ++s) {
    const Slot& slot = g.slots[s];
    if (slot.constant != nullptr || slot.is_graph_output || slot.outer_slot >= 0) continue;
    if (last_use[s] >= 0) g.release_after[last_use[s]].push_back(static_cast<int>(s));
  }
}

// Picks up constants of the enclosing scope that appeared after g was built, folds the nodes
// that now depend only on constants, re-creates the kernels of the others (so they can pre-pack
// newly constant weights) and recurses into nested subgraphs.
void refold(Graph& g, ModelData& model) {
  bool changed = false;
  for (Slot& slot : g.slots) {
    if (slot.outer_slot >= 0 && slot.constant == nullptr &&
        g.parent->slots[slot.outer_slot].constant != nullptr) {
      slot.constant = g.parent->slots[slot.outer_slot].constant;
      changed = true;
    }
  }
  if (changed) {
    kernels::ThreadPool pool(1);
    std::vector<std::unique_ptr<detail::NodeState>> runtime;
    for (auto& node : g.nodes) {
      const OpRegistration* reg =
          model.registry->find(node->domain, node->proto->op_type(), node->opset);
      node->kernel = reg->factory(NodeInfo(*node));
      if (node->kernel == nullptr) NodeInfo(*node).fail("the kernel factory returned nothing");
      if (can_fold(g, *node, model)) {
        fold_node(g, *node, model, pool);
        --model.runtime_node_count;
        continue;
      }
      runtime.push_back(std::move(node));
    }
    g.nodes = std::move(runtime);
    renumber_producers(g);
  }
  for (auto& node : g.nodes) {
    for (auto& [name, sub] : node->subgraphs) refold(*sub, model);
  }
  if (changed) plan_graph_liveness(g);
}

class GraphBuilder {
 public:
  GraphBuilder(const ::onnx::GraphProto& proto, ModelData& model, Graph* parent,
               std::vector<std::string>& missing)
      : proto_(proto), model_(model), missing_(missing), graph_(std::make_unique<Graph>()) {
    graph_->name = proto.name();
    graph_->parent = parent;
  }

  std::unique_ptr<Graph> build() {
    add_initializers_and_inputs();
    add_node_outputs();
    resolve_nodes();
    order_nodes();
    create_kernels();
    add_outputs();
    refold_subgraphs();
    fuse_leaky_relu_into_conv();
    plan_liveness();
    return std::move(graph_);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Error(model_.path + ": graph '" + proto_.name() + "': " + message);
  }

  int new_slot(const std::string& name) {
    if (name.empty()) fail("a value has an empty name");
    if (graph_->slot_by_name.count(name) > 0) fail("value '" + name + "' is defined twice");
    graph_->slots.push_back(Slot{name});
    int id = static_cast<int>(graph_->slots.size()) - 1;
    graph_->slot_by_name.emplace(name, id);
    return id;
  }

  // A slot of this graph for `name`, creating an outer-scope reference when an enclosing graph
  // defines it. -1 when no scope knows the name.
  static int resolve(Graph& g, const std::string& name) {
    int id = g.find_slot(name);
    if (id >= 0) return id;
    if (g.parent == nullptr) return -1;
    Graph& parent = const_cast<Graph&>(*g.parent);  // still under construction
    int outer = resolve(parent, name);
    if (outer < 0) return -1;
    g.slots.push_back(Slot{name});
    id = static_cast<int>(g.slots.size()) - 1;
    g.slots[id].outer_slot = outer;
    g.slots[id].constant = parent.slots[outer].constant;
    g.slot_by_name.emplace(name, id);
    return id;
  }

  void add_initializers_and_inputs() {
    for (const auto& init : proto_.initializer()) {
      int id = new_slot(init.name());
      graph_->slots[id].constant = decode_tensor(init, model_, init.name());
    }
    for (const auto& input : proto_.input()) {
      if (graph_->find_slot(input.name()) >= 0) continue;  // IR < 4: initializer listed as input
      int id = new_slot(input.name());
      graph_->input_slots.push_back(id);
      graph_->inputs.push_back(decode_value_info(input));
    }
  }

  void add_node_outputs() {
    model_.file_node_count += proto_.node_size();
    for (int n = 0; n < proto_.node_size(); ++n) {
      auto state = std::make_unique<detail::NodeState>();
      state->proto = &proto_.node(n);
      state->graph = graph_.get();
      state->model = &model_;
      state->domain = std::string(canonical_domain(state->proto->domain()));
      for (const std::string& out : state->proto->output()) {
        if (out.empty()) {
          state->outputs.push_back(-1);
          continue;
        }
        int id = new_slot(out);
        graph_->slots[id].producer = n;
        state->outputs.push_back(id);
      }
      graph_->nodes.push_back(std::move(state));
    }
  }

  void resolve_nodes() {
    for (auto& node : graph_->nodes) {
      const NodeInfo info(*node);
      for (const std::string& in : node->proto->input()) {
        if (in.empty()) {
          node->inputs.push_back(-1);
          continue;
        }
        int id = resolve(*graph_, in);
        if (id < 0) {
          info.fail("input '" + in + "' is not produced by any node, initializer or input");
        }
        node->inputs.push_back(id);
      }
      auto it = model_.opsets.find(node->domain);
      if (it == model_.opsets.end()) {
        info.fail("domain '" + node->domain + "' is not in the model's opset_import");
      }
      node->opset = it->second;
      for (const auto& attr : node->proto->attribute()) {
        if (attr.type() == ::onnx::AttributeProto::TENSOR || attr.has_t()) {
          node->attr_tensors.emplace(attr.name(),
                                     decode_tensor(attr.t(), model_, info.describe() + " attribute " +
                                                                         attr.name()));
        } else if (attr.type() == ::onnx::AttributeProto::GRAPH || attr.has_g()) {
          std::unique_ptr<Graph> sub = build_graph(attr.g(), model_, graph_.get(), missing_);
          for (const Slot& s : sub->slots) {
            if (s.outer_slot >= 0) node->implicit_inputs.push_back(s.outer_slot);
          }
          node->subgraphs.emplace(attr.name(), std::move(sub));
        } else if (attr.type() == ::onnx::AttributeProto::GRAPHS ||
                   attr.type() == ::onnx::AttributeProto::SPARSE_TENSOR ||
                   attr.type() == ::onnx::AttributeProto::TENSORS) {
          info.fail("attribute '" + attr.name() + "' has an unsupported type");
        }
      }
    }
  }

  // Kahn's algorithm over producer -> consumer edges (implicit subgraph reads included).
  void order_nodes() {
    auto& nodes = graph_->nodes;
    const size_t n = nodes.size();
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> consumers(n);
    for (size_t i = 0; i < n; ++i) {
      auto add_edge = [&](int slot) {
        if (slot < 0) return;
        int producer = graph_->slots[slot].producer;
        if (producer >= 0 && graph_->slots[slot].outer_slot < 0) {
          consumers[producer].push_back(static_cast<int>(i));
          ++pending[i];
        }
      };
      for (int s : nodes[i]->inputs) add_edge(s);
      for (int s : nodes[i]->implicit_inputs) add_edge(s);
    }
    std::vector<int> order;
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] == 0) order.push_back(static_cast<int>(i));
    }
    for (size_t k = 0; k < order.size(); ++k) {
      for (int c : consumers[order[k]]) {
        if (--pending[c] == 0) order.push_back(c);
      }
    }
    if (order.size() != n) fail("the nodes form a cycle");
    std::vector<std::unique_ptr<detail::NodeState>> sorted;
    for (int i : order) sorted.push_back(std::move(nodes[i]));
    nodes = std::move(sorted);
    for (size_t i = 0; i < n; ++i) {
      for (int s : nodes[i]->outputs) {
        if (s >= 0) graph_->slots[s].producer = static_cast<int>(i);
      }
    }
  }

  void create_kernels() {
    kernels::ThreadPool pool(1);
    std::vector<std::unique_ptr<detail::NodeState>> runtime;
    for (auto& node : graph_->nodes) {
      const OpRegistration* reg =
          model_.registry->find(node->domain, node->proto->op_type(), node->opset);
      if (reg == nullptr) {
        missing_.push_back((node->domain.empty() ? std::string("ai.onnx") : node->domain) + ":" +
                           node->proto->op_type() + " opset " + std::to_string(node->opset));
        continue;
      }
      if (!missing_.empty()) continue;  // the load fails anyway; only collect
      const NodeInfo info(*node);
      node->kernel = reg->factory(info);
      if (node->kernel == nullptr) info.fail("the kernel factory returned nothing");
      if (can_fold(*graph_, *node, model_)) {
        try {
          fold_node(*graph_, *node, model_, pool);
          continue;  // folded: not run per session
        } catch (const TooLargeToFold&) {
          // an output over kMaxFoldedBytes: computed per session instead
        }
      }
      runtime.push_back(std::move(node));
    }
    graph_->nodes = std::move(runtime);
    renumber_producers(*graph_);
    model_.runtime_node_count += static_cast<int>(graph_->nodes.size());
  }

  // Subgraphs were built before this graph folded its constants (their outer references were
  // resolved while this graph's nodes were being read), so values they read from here may have
  // become constant since: fold what that makes foldable inside them (Silero's If branches
  // concatenate Constant weights of the enclosing branch).
  void refold_subgraphs() {
    if (!missing_.empty()) return;
    for (auto& node : graph_->nodes) {
      for (auto& [name, sub] : node->subgraphs) refold(*sub, model_);
    }
  }

  void add_outputs() {
    for (const auto& out : proto_.output()) {
      int id = resolve(*graph_, out.name());
      if (id < 0) fail("output '" + out.name() + "' is not produced by any node or input");
      graph_->slots[id].is_graph_output = true;
      graph_->output_slots.push_back(id);
      graph_->outputs.push_back(decode_value_info(out));
    }
  }

  // LeakyRelu -> Conv where every reader of the LeakyRelu is a Conv reading it as its input X
  // (HiFi-GAN's residual blocks in Piper; the exporter shares one LeakyRelu among the first
  // convolutions of three residual blocks): each Conv reads the LeakyRelu's input and applies it
  // while copying its input (the padded copy of the direct path, or its column matrix), which
  // saves a full pass over large tensors. Same arithmetic as the unfused graph.
  void fuse_leaky_relu_into_conv() {
    if (!missing_.empty() || !model_.fold_constants) return;
    static const bool disabled = std::getenv("PARLEY_ONNX_NO_FUSION") != nullptr;
    if (disabled) return;
    auto& g = *graph_;
    std::vector<int> readers(g.slots.size(), 0);
    for (const auto& node : g.nodes) {
      for (int s : node->inputs) {
        if (s >= 0) ++readers[s];
      }
      for (int s : node->implicit_inputs) ++readers[s];
    }
    std::vector<bool> fused(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      detail::NodeState& relu = *g.nodes[i];
      if (relu.proto->op_type() != "LeakyRelu" || !relu.domain.empty() || relu.inputs.size() != 1 ||
          relu.inputs[0] < 0 || relu.outputs.size() != 1 || relu.outputs[0] < 0) {
        continue;
      }
      const int out = relu.outputs[0];
      if (readers[out] < 1 || g.slots[out].is_graph_output) continue;
      std::vector<detail::NodeState*> convs;
      bool all_convs = true;
      for (size_t j = i + 1; j < g.nodes.size() && all_convs; ++j) {
        detail::NodeState& node = *g.nodes[j];
        const auto uses = std::count(node.inputs.begin(), node.inputs.end(), out) +
                          std::count(node.implicit_inputs.begin(), node.implicit_inputs.end(), out);
        if (uses == 0) continue;
        const std::string& type = node.proto->op_type();
        all_convs = type == "Conv" && node.domain.empty() &&
                    uses == 1 && node.inputs[0] == out && !node.input_leaky_relu.has_value();
        if (all_convs) convs.push_back(&node);
      }
      if (!all_convs || static_cast<int>(convs.size()) != readers[out]) continue;
      const float alpha = NodeInfo(relu).attr_float("alpha", 0.01f);
      for (detail::NodeState* conv : convs) {
        conv->input_leaky_relu = alpha;
        conv->inputs[0] = relu.inputs[0];
        const OpRegistration* reg =
            model_.registry->find(conv->domain, conv->proto->op_type(), conv->opset);
        conv->kernel = reg->factory(NodeInfo(*conv));
      }
      fused[i] = true;
    }
    std::vector<std::unique_ptr<detail::NodeState>> kept;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (fused[i]) {
        --model_.runtime_node_count;
      } else {
        kept.push_back(std::move(g.nodes[i]));
      }
    }
    g.nodes = std::move(kept);
    renumber_producers(g);
  }

  void plan_liveness() { plan_graph_liveness(*graph_); }

  const ::onnx::GraphProto& proto_;
  ModelData& model_;
  std::vector<std::string>& missing_;
  std::unique_ptr<Graph> graph_;
};

}  // namespace

std::unique_ptr<Graph> build_graph(const ::onnx::GraphProto& proto, ModelData& model,
                                   const Graph* parent, std::vector<std::string>& missing) {
  return GraphBuilder(proto, model, const_cast<Graph*>(parent), missing).build();
}

}  // namespace parley::onnx
