// Graph-level ops: Constant (folded at load), If and Loop (subgraphs run through
// OpContext::run_subgraph).
#include <cstring>
#include <vector>

#include "kernels/onnx/op_kernel.h"

namespace parley::onnx {
namespace {

class Constant final : public OpKernel {
 public:
  explicit Constant(const NodeInfo& node) {
    if (const Value* t = node.attr_tensor("value")) {
      value_ = *t;
      return;
    }
    if (node.has_attr("value_float")) {
      set_floats({node.attr_float("value_float")}, /*scalar=*/true);
    } else if (node.has_attr("value_floats")) {
      set_floats(node.attr_floats("value_floats"), false);
    } else if (node.has_attr("value_int")) {
      set_ints({node.attr_int("value_int")}, true);
    } else if (node.has_attr("value_ints")) {
      set_ints(node.attr_ints("value_ints"), false);
    } else {
      node.fail("needs one of value, value_float(s), value_int(s) (sparse/string unsupported)");
    }
  }
  void compute(OpContext& ctx) const override { ctx.alias_output(0, value_, value_.shape); }

 private:
  void set_floats(std::vector<float> v, bool scalar) {
    floats_ = std::move(v);
    value_ = Value{ElemType::kFloat, scalar ? Shape{} : Shape{static_cast<int64_t>(floats_.size())},
                   floats_.data()};
  }
  void set_ints(std::vector<int64_t> v, bool scalar) {
    ints_ = std::move(v);
    value_ = Value{ElemType::kInt64, scalar ? Shape{} : Shape{static_cast<int64_t>(ints_.size())},
                   ints_.data()};
  }
  Value value_;
  std::vector<float> floats_;
  std::vector<int64_t> ints_;
};

bool read_condition(OpContext& ctx, const Value& cond) {
  if (cond.type != ElemType::kBool || cond.element_count() != 1) {
    ctx.fail("condition must be a bool tensor of one element, got " + cond.describe());
  }
  return *cond.data<bool>();
}

class If final : public OpKernel {
 public:
  explicit If(const NodeInfo& node)
      : then_(node.attr_graph("then_branch")), else_(node.attr_graph("else_branch")) {
    if (then_ == nullptr || else_ == nullptr) node.fail("needs then_branch and else_branch");
  }
  void compute(OpContext& ctx) const override {
    const Graph& branch = read_condition(ctx, ctx.input(0)) ? *then_ : *else_;
    std::span<const Value> outs = ctx.run_subgraph(branch, {});
    if (static_cast<int>(outs.size()) != ctx.output_count()) {
      ctx.fail("branch returned " + std::to_string(outs.size()) + " outputs, node has " +
               std::to_string(ctx.output_count()));
    }
    for (int i = 0; i < ctx.output_count(); ++i) ctx.alias_output(i, outs[i], outs[i].shape);
  }

 private:
  const Graph* then_;
  const Graph* else_;
};

// Loop: body(iteration_num, condition, carried...) -> (condition, carried..., scan outputs...).
class Loop final : public OpKernel {
 public:
  explicit Loop(const NodeInfo& node) : body_(node.attr_graph("body")) {
    if (body_ == nullptr) node.fail("needs a body graph");
    carried_count_ = node.input_count() - 2;
    if (carried_count_ < 0) node.fail("needs inputs M and cond (possibly empty names)");
  }

  void compute(OpContext& ctx) const override {
    const Value* max_trips = ctx.input_or_null(0);
    const Value* cond_in = ctx.input_or_null(1);
    int64_t trip_limit = INT64_MAX;
    if (max_trips != nullptr) {
      if (max_trips->type != ElemType::kInt64 || max_trips->element_count() != 1) {
        ctx.fail("M must be an int64 scalar, got " + max_trips->describe());
      }
      trip_limit = *max_trips->data<int64_t>();
    }
    bool condition = cond_in == nullptr ? true : read_condition(ctx, *cond_in);
    std::vector<Value> carried(carried_count_);
    for (int i = 0; i < carried_count_; ++i) carried[i] = ctx.input(2 + i);
    const int scan_count = ctx.output_count() - carried_count_;
    std::vector<std::vector<uint8_t>> scans(scan_count > 0 ? scan_count : 0);
    std::vector<Value> scan_items(scans.size());
    int64_t iteration = 0;
    bool cond_value = condition;
    std::vector<Value> inputs(2 + carried_count_);
    for (; iteration < trip_limit && condition; ++iteration) {
      inputs[0] = Value{ElemType::kInt64, Shape{}, &iteration};
      inputs[1] = Value{ElemType::kBool, Shape{}, &cond_value};
      for (int i = 0; i < carried_count_; ++i) inputs[2 + i] = carried[i];
      std::span<const Value> outs = ctx.run_subgraph(*body_, inputs);
      if (static_cast<int>(outs.size()) != 1 + carried_count_ + scan_count) {
        ctx.fail("body returned " + std::to_string(outs.size()) + " outputs");
      }
      condition = read_condition(ctx, outs[0]);
      cond_value = condition;
      for (int i = 0; i < carried_count_; ++i) carried[i] = outs[1 + i];
      for (int k = 0; k < scan_count; ++k) {
        const Value& item = outs[1 + carried_count_ + k];
        if (iteration > 0 && !(item.shape == scan_items[k].shape && item.type == scan_items[k].type)) {
          ctx.fail("scan output " + std::to_string(k) + " changes shape across iterations");
        }
        scan_items[k] = item;
        const uint8_t* p = static_cast<const uint8_t*>(item.raw);
        scans[k].insert(scans[k].end(), p, p + item.byte_size());
      }
    }
    for (int i = 0; i < carried_count_; ++i) ctx.alias_output(i, carried[i], carried[i].shape);
    for (int k = 0; k < scan_count; ++k) {
      Shape shape;
      shape.push_back(iteration);
      for (int64_t d : scan_items[k].shape.dims()) shape.push_back(d);
      ElemType type = iteration > 0 ? scan_items[k].type : ElemType::kFloat;
      Value& out = ctx.allocate_output(carried_count_ + k, type, shape);
      if (!scans[k].empty()) std::memcpy(out.raw, scans[k].data(), scans[k].size());
    }
  }

 private:
  const Graph* body_;
  int carried_count_ = 0;
};

}  // namespace

void register_control_flow_ops(OpRegistry& registry) {
  registry.add<Constant>(kOnnxDomain, "Constant", 1, kLatestOpset);
  registry.add<If>(kOnnxDomain, "If", 1, kLatestOpset);
  registry.add<Loop>(kOnnxDomain, "Loop", 1, kLatestOpset);
}

}  // namespace parley::onnx
