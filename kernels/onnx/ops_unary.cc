// Unary elementwise ops: math (Abs, Neg, Exp, Log, Sqrt, Reciprocal, Ceil, Floor, Round, Sign,
// Erf, trigonometric and hyperbolic functions) and activations (Relu, Sigmoid, Tanh, Softplus,
// Softsign, LeakyRelu, Elu, Selu, Celu, HardSigmoid, HardSwish, ThresholdedRelu, Shrink, Clip,
// IsNaN, IsInf). Float ops run the active ISA's row kernels where kernels/ has one; the rest are
// per-element lambdas over contiguous data split across the pool.
#include <cmath>
#include <limits>

#include "kernels/kernel_table.h"
#include "kernels/onnx/ops_util.h"
#include "kernels/onnx/vector_math.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

constexpr int64_t kGrain = 16384;
// Row-op tag for Erf, which kernels::UnaryOp does not list (served by erf_f32).
constexpr auto kErfRow = kernels::UnaryOp::kCount;

// y = f(x) for float/double inputs (and the integer types listed by `ints`).
template <typename Fn>
class FloatUnary final : public OpKernel {
 public:
  FloatUnary(const NodeInfo&, Fn fn, kernels::UnaryOp row_op, bool has_row_op, bool allow_ints)
      : fn_(fn), row_op_(row_op), has_row_op_(has_row_op), allow_ints_(allow_ints) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    const int64_t n = x.element_count();
    if (x.type == ElemType::kFloat) {
      const float* px = x.data<float>();
      float* py = y.mutable_data<float>();
      if (has_row_op_) {
        // Log and Erf: our AVX2 kernels (vector_math.h); kernels/ has none for them.
        const kernels::UnaryFn row = row_op_ == kernels::UnaryOp::Log ? log_f32
                                     : row_op_ == kErfRow            ? erf_f32
                                         : kernels::kernels().unary[static_cast<int>(row_op_)];
        ctx.pool().parallel_for(
            n, [&](int64_t b, int64_t e, int) { row(e - b, px + b, py + b); }, kGrain);
      } else {
        ctx.pool().parallel_for(
            n,
            [&](int64_t b, int64_t e, int) {
              for (int64_t i = b; i < e; ++i) py[i] = static_cast<float>(fn_(double{px[i]}));
            },
            kGrain);
      }
      return;
    }
    if (x.type == ElemType::kFloat16) {
      const uint16_t* px = x.data<uint16_t>();
      uint16_t* py = y.mutable_data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) {
        py[i] =
            kernels::fp32_to_fp16(static_cast<float>(fn_(double{kernels::fp16_to_fp32(px[i])})));
      }
      return;
    }
    const bool ok = visit_numeric(x.type, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_floating_point_v<T>) {
        const T* px = x.data<T>();
        T* py = y.mutable_data<T>();
        for (int64_t i = 0; i < n; ++i) py[i] = static_cast<T>(fn_(static_cast<double>(px[i])));
      } else {
        if (!allow_ints_) ctx.fail("input must be a floating-point tensor, got " + x.describe());
        const T* px = x.data<T>();
        T* py = y.mutable_data<T>();
        for (int64_t i = 0; i < n; ++i) py[i] = static_cast<T>(fn_(static_cast<double>(px[i])));
      }
    });
    if (!ok) ctx.fail("unsupported input type " + x.describe());
  }

 private:
  Fn fn_;
  kernels::UnaryOp row_op_;
  bool has_row_op_;
  bool allow_ints_;
};

// Registers a FloatUnary whose per-element function is built from the node's attributes.
template <typename MakeFn>
void add_unary(OpRegistry& registry, std::string_view op, int since, int until, MakeFn make,
               bool allow_ints = false) {
  registry.add(kOnnxDomain, op, since, until,
               [make, allow_ints](const NodeInfo& node) -> std::unique_ptr<OpKernel> {
                 auto fn = make(node);
                 return std::make_unique<FloatUnary<decltype(fn)>>(node, fn, kernels::UnaryOp::Relu,
                                                                   false, allow_ints);
               });
}

// A unary op with a kernels/ row kernel for float data and `fn` for the other types.
template <typename Fn>
void add_row_unary(OpRegistry& registry, std::string_view op, int since, kernels::UnaryOp row_op,
                   Fn fn, bool allow_ints = false) {
  registry.add(kOnnxDomain, op, since, kLatestOpset,
               [fn, row_op, allow_ints](const NodeInfo& node) -> std::unique_ptr<OpKernel> {
                 return std::make_unique<FloatUnary<Fn>>(node, fn, row_op, true, allow_ints);
               });
}

// Clip: min/max from attributes (opset < 11) or optional inputs 1 and 2 (opset >= 11).
class Clip final : public OpKernel {
 public:
  explicit Clip(const NodeInfo& node)
      : legacy_(node.opset() < 11),
        min_attr_(node.attr_float("min", -std::numeric_limits<float>::infinity())),
        max_attr_(node.attr_float("max", std::numeric_limits<float>::infinity())) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    const int64_t n = x.element_count();
    const Value* vmin = legacy_ ? nullptr : ctx.input_or_null(1);
    const Value* vmax = legacy_ ? nullptr : ctx.input_or_null(2);
    for (const Value* v : {vmin, vmax}) {
      if (v != nullptr && (v->type != x.type || v->element_count() != 1)) {
        ctx.fail("min/max must be scalars of the input's type, got " + v->describe());
      }
    }
    const bool ok = visit_numeric(x.type, [&](auto tag) {
      using T = decltype(tag);
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if constexpr (std::is_floating_point_v<T>) {
        lo = -std::numeric_limits<T>::infinity();
        hi = std::numeric_limits<T>::infinity();
        if (legacy_) {
          lo = min_attr_;
          hi = max_attr_;
        }
      }
      if (vmin != nullptr) lo = vmin->data<T>()[0];
      if (vmax != nullptr) hi = vmax->data<T>()[0];
      const T* px = x.data<T>();
      T* py = y.mutable_data<T>();
      ctx.pool().parallel_for(
          n,
          [&](int64_t b, int64_t e, int) {
            for (int64_t i = b; i < e; ++i) py[i] = std::min(std::max(px[i], lo), hi);
          },
          kGrain);
    });
    if (!ok) ctx.fail("unsupported input type " + x.describe());
  }

 private:
  bool legacy_;
  float min_attr_, max_attr_;
};

// IsNaN / IsInf: float input, bool output.
class IsNanOrInf final : public OpKernel {
 public:
  IsNanOrInf(const NodeInfo& node, bool is_nan)
      : is_nan_(is_nan),
        detect_negative_(node.attr_int("detect_negative", 1) != 0),
        detect_positive_(node.attr_int("detect_positive", 1) != 0) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    Value& y = ctx.allocate_output(0, ElemType::kBool, x.shape);
    bool* py = y.mutable_data<bool>();
    const int64_t n = x.element_count();
    if (x.type != ElemType::kFloat && x.type != ElemType::kDouble && x.type != ElemType::kFloat16) {
      ctx.fail("input must be floating point, got " + x.describe());
    }
    for (int64_t i = 0; i < n; ++i) {
      const double v = numeric_at(x, i);
      py[i] = is_nan_
                  ? std::isnan(v)
                  : (std::isinf(v) && ((v > 0 && detect_positive_) || (v < 0 && detect_negative_)));
    }
  }

 private:
  bool is_nan_, detect_negative_, detect_positive_;
};

// LeakyRelu: float data in a float loop the compiler vectorises (Piper's decoder runs it over
// millions of samples); other floating types through double.
class LeakyRelu final : public OpKernel {
 public:
  explicit LeakyRelu(const NodeInfo& node) : alpha_(node.attr_float("alpha", 0.01f)) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    Value& y = ctx.allocate_output(0, x.type, x.shape);
    const int64_t n = x.element_count();
    const float alpha = alpha_;
    if (x.type == ElemType::kFloat) {
      const float* px = x.data<float>();
      float* py = y.mutable_data<float>();
      ctx.pool().parallel_for(
          n,
          [&](int64_t b, int64_t e, int) {
            for (int64_t i = b; i < e; ++i) py[i] = leaky_relu(px[i], alpha);
          },
          kGrain);
      return;
    }
    if (x.type == ElemType::kDouble) {
      const double* px = x.data<double>();
      double* py = y.mutable_data<double>();
      const double a = alpha_;  // as ONNX Runtime: the float attribute widened
      for (int64_t i = 0; i < n; ++i) py[i] = px[i] >= 0 ? px[i] : a * px[i];
      return;
    }
    if (x.type == ElemType::kFloat16) {
      const uint16_t* px = x.data<uint16_t>();
      uint16_t* py = y.mutable_data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) {
        const float v = kernels::fp16_to_fp32(px[i]);
        py[i] = kernels::fp32_to_fp16(leaky_relu(v, alpha));
      }
      return;
    }
    ctx.fail("input must be a floating-point tensor, got " + x.describe());
  }

 private:
  float alpha_;
};

double sign_of(double v) {
  return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0);
}

}  // namespace

void register_unary_ops(OpRegistry& registry) {
  using kernels::UnaryOp;
  add_row_unary(
      registry, "Abs", 6, UnaryOp::Abs, [](double v) { return std::fabs(v); }, true);
  add_row_unary(
      registry, "Neg", 6, UnaryOp::Neg, [](double v) { return -v; }, true);
  add_row_unary(registry, "Exp", 6, UnaryOp::Exp, [](double v) { return std::exp(v); });
  add_row_unary(registry, "Log", 6, UnaryOp::Log, [](double v) { return std::log(v); });
  add_row_unary(registry, "Sqrt", 6, UnaryOp::Sqrt, [](double v) { return std::sqrt(v); });
  add_row_unary(
      registry, "Relu", 6, UnaryOp::Relu, [](double v) { return v > 0 ? v : 0.0; }, true);
  add_row_unary(registry, "Tanh", 6, UnaryOp::Tanh, [](double v) { return std::tanh(v); });
  add_row_unary(registry, "Sigmoid", 6, UnaryOp::Sigmoid,
                [](double v) { return 1.0 / (1.0 + std::exp(-v)); });

  const auto plain = [](double (*f)(double)) { return [f](const NodeInfo&) { return f; }; };
  add_unary(registry, "Reciprocal", 6, kLatestOpset, plain([](double v) { return 1.0 / v; }));
  add_unary(registry, "Ceil", 6, kLatestOpset, plain([](double v) { return std::ceil(v); }));
  add_unary(registry, "Floor", 6, kLatestOpset, plain([](double v) { return std::floor(v); }));
  add_unary(registry, "Round", 11, kLatestOpset,
            plain([](double v) { return std::nearbyint(v); }));  // half to even (default mode)
  add_unary(registry, "Sign", 9, kLatestOpset, plain(sign_of), true);
  add_row_unary(registry, "Erf", 9, kErfRow, [](double v) { return std::erf(v); });
  add_unary(registry, "Sin", 7, kLatestOpset, plain([](double v) { return std::sin(v); }));
  add_unary(registry, "Cos", 7, kLatestOpset, plain([](double v) { return std::cos(v); }));
  add_unary(registry, "Tan", 7, kLatestOpset, plain([](double v) { return std::tan(v); }));
  add_unary(registry, "Asin", 7, kLatestOpset, plain([](double v) { return std::asin(v); }));
  add_unary(registry, "Acos", 7, kLatestOpset, plain([](double v) { return std::acos(v); }));
  add_unary(registry, "Atan", 7, kLatestOpset, plain([](double v) { return std::atan(v); }));
  add_unary(registry, "Sinh", 9, kLatestOpset, plain([](double v) { return std::sinh(v); }));
  add_unary(registry, "Cosh", 9, kLatestOpset, plain([](double v) { return std::cosh(v); }));
  add_unary(registry, "Asinh", 9, kLatestOpset, plain([](double v) { return std::asinh(v); }));
  add_unary(registry, "Acosh", 9, kLatestOpset, plain([](double v) { return std::acosh(v); }));
  add_unary(registry, "Atanh", 9, kLatestOpset, plain([](double v) { return std::atanh(v); }));
  add_unary(registry, "Softplus", 1, kLatestOpset,
            plain([](double v) { return v > 30 ? v : std::log1p(std::exp(v)); }));
  add_unary(registry, "Softsign", 1, kLatestOpset,
            plain([](double v) { return v / (1.0 + std::fabs(v)); }));

  registry.add<LeakyRelu>(kOnnxDomain, "LeakyRelu", 6, kLatestOpset);
  add_unary(registry, "Elu", 6, kLatestOpset, [](const NodeInfo& node) {
    const double alpha = node.attr_float("alpha", 1.0f);
    return [alpha](double v) { return v >= 0 ? v : alpha * std::expm1(v); };
  });
  add_unary(registry, "Celu", 12, kLatestOpset, [](const NodeInfo& node) {
    const double alpha = node.attr_float("alpha", 1.0f);
    return [alpha](double v) {
      return std::max(0.0, v) + std::min(0.0, alpha * std::expm1(v / alpha));
    };
  });
  add_unary(registry, "Selu", 6, kLatestOpset, [](const NodeInfo& node) {
    const double alpha = node.attr_float("alpha", 1.67326319217681884765625f);
    const double gamma = node.attr_float("gamma", 1.05070102214813232421875f);
    return [alpha, gamma](double v) { return gamma * (v > 0 ? v : alpha * std::expm1(v)); };
  });
  add_unary(registry, "HardSigmoid", 6, kLatestOpset, [](const NodeInfo& node) {
    const double alpha = node.attr_float("alpha", 0.2f);
    const double beta = node.attr_float("beta", 0.5f);
    return [alpha, beta](double v) { return std::clamp(alpha * v + beta, 0.0, 1.0); };
  });
  add_unary(registry, "HardSwish", 14, kLatestOpset,
            plain([](double v) { return v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0); }));
  add_unary(registry, "ThresholdedRelu", 10, kLatestOpset, [](const NodeInfo& node) {
    const double alpha = node.attr_float("alpha", 1.0f);
    return [alpha](double v) { return v > alpha ? v : 0.0; };
  });
  add_unary(
      registry, "Shrink", 9, kLatestOpset,
      [](const NodeInfo& node) {
        const double bias = node.attr_float("bias", 0.0f);
        const double lambd = node.attr_float("lambd", 0.5f);
        return [bias, lambd](double v) {
          return v < -lambd ? v + bias : (v > lambd ? v - bias : 0.0);
        };
      },
      true);

  registry.add<Clip>(kOnnxDomain, "Clip", 6, kLatestOpset);
  registry.add(kOnnxDomain, "IsNaN", 9, kLatestOpset, [](const NodeInfo& node) {
    return std::unique_ptr<OpKernel>(new IsNanOrInf(node, true));
  });
  registry.add(kOnnxDomain, "IsInf", 10, kLatestOpset, [](const NodeInfo& node) {
    return std::unique_ptr<OpKernel>(new IsNanOrInf(node, false));
  });
}

}  // namespace parley::onnx
