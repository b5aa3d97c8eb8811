// The operator interface of the ONNX executor: what every op implements and how op families
// register themselves.
//
// Life of an op:
//   1. Load time (Model constructor): for each node the registry entry matching (domain, op_type,
//      the model's opset for that domain) creates one OpKernel from a NodeInfo. The constructor
//      reads and validates attributes (NodeInfo::attr_*), may pre-pack inputs that are already
//      known (NodeInfo::constant_input: initializers and folded constants), and throws
//      parley::Error through NodeInfo::fail() on anything it does not support. Kernels belong to
//      the immutable Model and are shared by all Sessions.
//   2. Run time: compute(ctx) is called with the node's inputs. Shapes are only known now: the op
//      checks them, computes output shapes, allocates outputs from the session arena
//      (ctx.allocate_output) and fills them, splitting work over ctx.pool(). compute() is const
//      and must be safe to call from several Sessions at once (keep no mutable state in the
//      kernel; use ctx.scratch for temporaries). Nodes whose inputs are all constant run once at
//      load time (constant folding) through the same compute().
//
// One file per op family, one registration function per family, listed once in
// kernels/onnx/op_families.cc:
//
//   // kernels/onnx/ops_activation.cc
//   namespace parley::onnx {
//   namespace {
//   class LeakyRelu final : public OpKernel {
//    public:
//     explicit LeakyRelu(const NodeInfo& node) : alpha_(node.attr_float("alpha", 0.01f)) {}
//     void compute(OpContext& ctx) const override {
//       const Value& x = ctx.input(0);
//       if (x.type != ElemType::kFloat) ctx.fail("input X must be float, got " + x.describe());
//       Value& y = ctx.allocate_output(0, ElemType::kFloat, x.shape);
//       const float* px = x.data<float>();
//       float* py = y.mutable_data<float>();
//       ctx.pool().parallel_for(x.element_count(), [&](int64_t begin, int64_t end, int) {
//         for (int64_t i = begin; i < end; ++i) py[i] = px[i] >= 0 ? px[i] : alpha_ * px[i];
//       }, /*grain=*/16384);
//     }
//    private:
//     float alpha_;
//   };
//   }  // namespace
//   void register_activation_ops(OpRegistry& registry) {
//     registry.add<LeakyRelu>(kOnnxDomain, "LeakyRelu", 6, kLatestOpset);   // ONNX versions 6, 16
//   }
//   }  // namespace parley::onnx
//
// Opset ranges: an entry (since, until) serves models whose opset for the domain lies in
// [since, until]. Register one entry per semantic version an implementation covers; a model
// whose version falls in no entry is rejected at load with every missing op listed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/onnx/value.h"
#include "kernels/thread_pool.h"

namespace parley::onnx {

class Graph;  // a loaded (sub)graph; see graph.h. Only control-flow ops need it.
namespace detail {
struct NodeState;  // the executor's record of a node; opaque to ops
}

inline constexpr std::string_view kOnnxDomain = "";  // "ai.onnx" is normalised to ""
inline constexpr std::string_view kMicrosoftDomain = "com.microsoft";
inline constexpr int kLatestOpset = 1 << 20;  // "until further notice" as an opset bound

// Read-only description of one node at load time. Valid only during kernel construction,
// except the Values and Graphs it returns, which live as long as the Model.
class NodeInfo {
 public:
  explicit NodeInfo(const detail::NodeState& state) : state_(state) {}

  std::string_view op_type() const;
  std::string_view domain() const;   // normalised: "" for ai.onnx
  std::string_view name() const;     // may be empty
  int opset() const;                 // the model's opset version for this node's domain

  // Inputs/outputs as listed in the node, trailing and empty-named ("" = absent) included.
  int input_count() const;
  bool has_input(int index) const;   // false when absent or index >= input_count()
  int output_count() const;
  bool has_output(int index) const;
  // The value of input `index` when it is known at load time (initializer, Constant, or folded),
  // else nullptr. Lets an op pre-pack weights.
  const Value* constant_input(int index) const;
  // Set when the loader fused a LeakyRelu producing input 0 into this node (Conv only): the
  // kernel must read input 0 through LeakyRelu(alpha), i.e. x >= 0 ? x : alpha * x.
  std::optional<float> fused_input_leaky_relu() const;

  // Attributes. The one-argument forms require the attribute (fail() when absent); the forms
  // with a default return it when absent. A wrong attribute type fails with the name.
  bool has_attr(std::string_view name) const;
  int64_t attr_int(std::string_view name) const;
  int64_t attr_int(std::string_view name, int64_t default_value) const;
  float attr_float(std::string_view name) const;
  float attr_float(std::string_view name, float default_value) const;
  std::string attr_string(std::string_view name) const;
  std::string attr_string(std::string_view name, std::string_view default_value) const;
  std::vector<int64_t> attr_ints(std::string_view name) const;  // empty when absent
  std::vector<float> attr_floats(std::string_view name) const;  // empty when absent
  std::vector<std::string> attr_strings(std::string_view name) const;
  const Value* attr_tensor(std::string_view name) const;  // nullptr when absent
  const Graph* attr_graph(std::string_view name) const;   // nullptr when absent

  // Throws parley::Error "<model file>: node '<name>' (<domain>:<op> opset <n>): <message>".
  [[noreturn]] void fail(std::string_view message) const;
  std::string describe() const;  // "node 'conv1' (Conv opset 13)"

  const detail::NodeState& state() const { return state_; }

 private:
  const detail::NodeState& state_;
};

// What compute() sees of one node execution. Implemented by the executor.
class OpContext {
 public:
  virtual ~OpContext() = default;

  virtual int input_count() const = 0;
  // nullptr when the optional input is absent (empty name or past the end).
  virtual const Value* input_or_null(int index) const = 0;
  // Fails with a message naming the node when the input is absent.
  const Value& input(int index) const {
    const Value* v = input_or_null(index);
    if (v == nullptr) fail("required input " + std::to_string(index) + " is absent");
    return *v;
  }

  virtual int output_count() const = 0;
  // False for outputs the model leaves unnamed; the op may skip computing them (allocating them
  // anyway is allowed and harmless).
  virtual bool output_wanted(int index) const = 0;
  // Allocates output `index` (64-byte aligned, uninitialised) from the session arena. The Value
  // stays valid until its last consumer has run. Call once per output.
  virtual Value& allocate_output(int index, ElemType type, const Shape& shape) = 0;
  // Makes output `index` a view of an input's bytes with a new shape of the same element count
  // (Reshape, Squeeze, Flatten, Identity): no copy. The executor keeps the bytes alive.
  virtual void alias_output(int index, const Value& input, const Shape& shape) = 0;

  // Temporary memory, 64-byte aligned, valid until compute() returns.
  virtual void* scratch_bytes(size_t bytes) = 0;
  template <typename T>
  T* scratch(size_t count) {
    return static_cast<T*>(scratch_bytes(count * sizeof(T)));
  }

  virtual kernels::ThreadPool& pool() = 0;
  virtual const NodeInfo& node() const = 0;
  [[noreturn]] void fail(std::string_view message) const { node().fail(message); }

  // A fresh seed from the session's deterministic generator (SessionOptions::random_seed), for
  // Random* ops without a `seed` attribute.
  virtual uint64_t next_random_seed() = 0;

  // Runs a subgraph (If/Loop/Scan body) with `inputs` bound to its formal inputs, in order;
  // outer-scope names resolve to this node's scope. The returned outputs stay valid until
  // compute() returns.
  virtual std::span<const Value> run_subgraph(const Graph& body,
                                              std::span<const Value> inputs) = 0;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual void compute(OpContext& ctx) const = 0;
};

using KernelFactory = std::function<std::unique_ptr<OpKernel>(const NodeInfo&)>;

struct OpRegistration {
  std::string domain;
  std::string op_type;
  int since_version = 1;
  int until_version = kLatestOpset;
  KernelFactory factory;
};

class OpRegistry {
 public:
  // Adds an entry. Throws parley::Error when it overlaps an entry for the same (domain, op).
  void add(std::string_view domain, std::string_view op_type, int since_version,
           int until_version, KernelFactory factory);
  // Kernel constructed as K(const NodeInfo&).
  template <typename K>
  void add(std::string_view domain, std::string_view op_type, int since_version,
           int until_version) {
    add(domain, op_type, since_version, until_version,
        [](const NodeInfo& node) -> std::unique_ptr<OpKernel> { return std::make_unique<K>(node); });
  }

  // The entry serving `opset` of (domain, op_type), or nullptr. "ai.onnx" == "".
  const OpRegistration* find(std::string_view domain, std::string_view op_type, int opset) const;
  const std::vector<OpRegistration>& entries() const { return entries_; }

  // Every built-in family (op_families.cc), built once; safe to call from any thread.
  static const OpRegistry& builtin();

 private:
  std::vector<OpRegistration> entries_;
};

// Normalises a domain name: "ai.onnx" -> "".
std::string_view canonical_domain(std::string_view domain);

}  // namespace parley::onnx
