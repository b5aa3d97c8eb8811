// Binary and variadic elementwise ops with NumPy broadcasting: arithmetic (Add, Sub, Mul, Div,
// Pow, Mod, PRelu, BitShift), variadic Max/Min/Sum/Mean, comparisons (Equal, Less, LessOrEqual,
// Greater, GreaterOrEqual), logic (And, Or, Xor, Not) and Where.
//
// Every op walks rows of a BroadcastPlan (ops_util.h); float Add/Sub/Mul/Div on rows where both
// operands are contiguous or one is a scalar use the active ISA's row kernels. Integer division
// or modulo by zero yields 0 instead of trapping.
#include <cmath>
#include <type_traits>

#include "kernels/kernel_table.h"
#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

enum class Arith { Add, Sub, Mul, Div, Max, Min, Mod, FMod, Pow, PRelu, ShiftLeft, ShiftRight };

template <Arith op, typename T>
inline T arith(T a, T b) {
  if constexpr (op == Arith::Add) return static_cast<T>(a + b);
  if constexpr (op == Arith::Sub) return static_cast<T>(a - b);
  if constexpr (op == Arith::Mul) return static_cast<T>(a * b);
  if constexpr (op == Arith::Div) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return T{0};
      if constexpr (std::is_signed_v<T>) {
        // min / -1 overflows (and traps on x86): wrap as NumPy does.
        if (b == T(-1)) return static_cast<T>(T{0} - static_cast<std::make_unsigned_t<T>>(a));
      }
      return static_cast<T>(a / b);
    }
    return a / b;
  }
  if constexpr (op == Arith::Max) return (std::isnan(static_cast<double>(a)) || a > b) ? a : b;
  if constexpr (op == Arith::Min) return (std::isnan(static_cast<double>(a)) || a < b) ? a : b;
  if constexpr (op == Arith::FMod) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return T{0};
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T{0};  // min % -1 would trap
      }
      return static_cast<T>(a % b);
    }
    return static_cast<T>(std::fmod(a, b));
  }
  if constexpr (op == Arith::Mod) {  // sign of the divisor, as Python
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return T{0};
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T{0};  // min % -1 would trap
      }
      T r = static_cast<T>(a % b);
      if constexpr (std::is_signed_v<T>) {
        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      }
      return r;
    } else {
      T r = static_cast<T>(std::fmod(a, b));
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
  if constexpr (op == Arith::Pow)
    return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  if constexpr (op == Arith::PRelu) return a < 0 ? static_cast<T>(a * b) : a;
  if constexpr (op == Arith::ShiftLeft) {
    if constexpr (std::is_integral_v<T>)
      return b >= static_cast<T>(sizeof(T) * 8) ? T{0} : static_cast<T>(a << b);
    return a;
  }
  if constexpr (op == Arith::ShiftRight) {
    if constexpr (std::is_integral_v<T>)
      return b >= static_cast<T>(sizeof(T) * 8) ? T{0} : static_cast<T>(a >> b);
    return a;
  }
  return a;
}

// out[i] = fn(a[i], b[i]) over the broadcast of a and b; R is the output element type.
template <typename T, typename R, typename Fn>
void broadcast_apply(OpContext& ctx, const Value& a, const Value& b, Value& out, Fn fn,
                     int64_t grain_elements = 32768) {
  BroadcastPlan<3> plan;
  plan.set_dims(out.shape, {contiguous_strides(out.shape), broadcast_strides(a.shape, out.shape),
                            broadcast_strides(b.shape, out.shape)});
  const T* pa = static_cast<const T*>(a.raw);
  const T* pb = static_cast<const T*>(b.raw);
  R* po = static_cast<R*>(out.raw);
  ctx.pool().parallel_for(
      plan.row_count(),
      [&](int64_t begin, int64_t end, int) {
        plan.for_rows(begin, end, [&](const int64_t* off, int64_t n, const int64_t* inner) {
          R* o = po + off[0];
          const T* x = pa + off[1];
          const T* y = pb + off[2];
          if (inner[1] == 1 && inner[2] == 1) {
            for (int64_t i = 0; i < n; ++i) o[i] = fn(x[i], y[i]);
          } else if (inner[1] == 1) {
            const T yv = y[0];
            for (int64_t i = 0; i < n; ++i) o[i] = fn(x[i], yv);
          } else if (inner[2] == 1) {
            const T xv = x[0];
            for (int64_t i = 0; i < n; ++i) o[i] = fn(xv, y[i]);
          } else {
            for (int64_t i = 0; i < n; ++i) o[i] = fn(x[i * inner[1]], y[i * inner[2]]);
          }
        });
      },
      row_grain(plan.row_length(), grain_elements));
}

// Float Add/Sub/Mul/Div through the kernel table's row kernels.
void float_arith_rows(OpContext& ctx, kernels::BinaryOp op, const Value& a, const Value& b,
                      Value& out) {
  BroadcastPlan<3> plan;
  plan.set_dims(out.shape, {contiguous_strides(out.shape), broadcast_strides(a.shape, out.shape),
                            broadcast_strides(b.shape, out.shape)});
  const kernels::KernelTable& k = kernels::kernels();
  const kernels::BinaryFn row = k.binary[static_cast<int>(op)];
  const auto row_scalar = k.binary_scalar[static_cast<int>(op)];
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.mutable_data<float>();
  ctx.pool().parallel_for(
      plan.row_count(),
      [&](int64_t begin, int64_t end, int) {
        plan.for_rows(begin, end, [&](const int64_t* off, int64_t n, const int64_t* inner) {
          float* o = po + off[0];
          const float* x = pa + off[1];
          const float* y = pb + off[2];
          if (inner[1] == 1 && inner[2] == 1) {
            row(n, x, y, o);
          } else if (inner[1] == 1 && inner[2] == 0) {
            row_scalar(n, x, y[0], o);
          } else if (inner[1] == 0 && inner[2] == 1 &&
                     (op == kernels::BinaryOp::Add || op == kernels::BinaryOp::Mul)) {
            row_scalar(n, y, x[0], o);  // commutative
          } else {
            for (int64_t i = 0; i < n; ++i) {
              const float xv = x[i * inner[1]], yv = y[i * inner[2]];
              switch (op) {
                case kernels::BinaryOp::Add:
                  o[i] = xv + yv;
                  break;
                case kernels::BinaryOp::Sub:
                  o[i] = xv - yv;
                  break;
                case kernels::BinaryOp::Mul:
                  o[i] = xv * yv;
                  break;
                default:
                  o[i] = xv / yv;
                  break;
              }
            }
          }
        });
      },
      row_grain(plan.row_length()));
}

bool is_half(ElemType t) {
  return t == ElemType::kFloat16 || t == ElemType::kBFloat16;
}

// A float copy of a float16/bfloat16 value in scratch memory.
Value half_to_float(OpContext& ctx, const Value& v) {
  Value f{ElemType::kFloat, v.shape,
          ctx.scratch<float>(static_cast<size_t>(std::max<int64_t>(1, v.element_count())))};
  for (int64_t i = 0; i < v.element_count(); ++i)
    f.mutable_data<float>()[i] = static_cast<float>(numeric_at(v, i));
  return f;
}

void float_to_half(const Value& f, Value& out) {
  const float* pf = f.data<float>();
  uint16_t* po = out.mutable_data<uint16_t>();
  for (int64_t i = 0; i < out.element_count(); ++i) {
    po[i] = out.type == ElemType::kFloat16 ? kernels::fp32_to_fp16(pf[i])
                                           : kernels::fp32_to_bf16(pf[i]);
  }
}

Shape broadcast_or_fail(const OpContext& ctx, const Value& a, const Value& b) {
  Shape out;
  if (!broadcast_shapes({&a.shape, &b.shape}, &out)) {
    ctx.fail("shapes " + a.describe() + " and " + b.describe() + " do not broadcast");
  }
  return out;
}

template <Arith op>
class ArithOp final : public OpKernel {
 public:
  explicit ArithOp(const NodeInfo& node) {
    if constexpr (op == Arith::Mod) {
      fmod_ = node.attr_int("fmod", 0) != 0;
    }
    if constexpr (op == Arith::ShiftLeft || op == Arith::ShiftRight) {
      const std::string direction = node.attr_string("direction");
      if (direction != "LEFT" && direction != "RIGHT") node.fail("direction must be LEFT or RIGHT");
      shift_left_ = direction == "LEFT";
    }
  }

  void compute(OpContext& ctx) const override {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if constexpr (op == Arith::Pow) {
      if (a.type != b.type) return mixed_pow(ctx, a, b);
    }
    if (a.type != b.type) ctx.fail("input types differ: " + a.describe() + ", " + b.describe());
    Value& out = ctx.allocate_output(0, a.type, broadcast_or_fail(ctx, a, b));
    if constexpr (op != Arith::ShiftLeft && op != Arith::ShiftRight) {
      if (is_half(a.type)) {  // through float, rounded once at the end
        const Value af = half_to_float(ctx, a), bf = half_to_float(ctx, b);
        Value of{
            ElemType::kFloat, out.shape,
            ctx.scratch<float>(static_cast<size_t>(std::max<int64_t>(1, out.element_count())))};
        if (op == Arith::Mod && fmod_) {
          broadcast_apply<float, float>(ctx, af, bf, of, arith<Arith::FMod, float>);
        } else {
          broadcast_apply<float, float>(ctx, af, bf, of, arith<op, float>);
        }
        return float_to_half(of, out);
      }
    }
    if constexpr (op == Arith::Add || op == Arith::Sub || op == Arith::Mul || op == Arith::Div) {
      if (a.type == ElemType::kFloat) {
        constexpr kernels::BinaryOp kop = op == Arith::Add   ? kernels::BinaryOp::Add
                                          : op == Arith::Sub ? kernels::BinaryOp::Sub
                                          : op == Arith::Mul ? kernels::BinaryOp::Mul
                                                             : kernels::BinaryOp::Div;
        return float_arith_rows(ctx, kop, a, b, out);
      }
    }
    if constexpr (op == Arith::Pow) {
      if (a.type == ElemType::kFloat && b.element_count() == 1) {
        return float_pow_scalar(ctx, a, b.data<float>()[0], out);
      }
    }
    const bool ok = visit_numeric(a.type, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (op == Arith::Mod) {
        if (fmod_) {
          broadcast_apply<T, T>(ctx, a, b, out, arith<Arith::FMod, T>);
        } else {
          broadcast_apply<T, T>(ctx, a, b, out, arith<Arith::Mod, T>);
        }
      } else if constexpr (op == Arith::ShiftLeft || op == Arith::ShiftRight) {
        if (shift_left_) {
          broadcast_apply<T, T>(ctx, a, b, out, arith<Arith::ShiftLeft, T>);
        } else {
          broadcast_apply<T, T>(ctx, a, b, out, arith<Arith::ShiftRight, T>);
        }
      } else {
        broadcast_apply<T, T>(ctx, a, b, out, arith<op, T>);
      }
    });
    if (!ok) ctx.fail("unsupported input type " + a.describe());
  }

 private:
  static void float_pow_scalar(OpContext& ctx, const Value& a, float e, Value& out) {
    const float* pa = a.data<float>();
    float* po = out.mutable_data<float>();
    ctx.pool().parallel_for(
        a.element_count(),
        [&](int64_t begin, int64_t end, int) {
          if (e == 2.0f) {
            for (int64_t i = begin; i < end; ++i) po[i] = pa[i] * pa[i];
          } else if (e == 0.5f) {
            for (int64_t i = begin; i < end; ++i) po[i] = std::sqrt(pa[i]);
          } else if (e == 1.0f) {
            for (int64_t i = begin; i < end; ++i) po[i] = pa[i];
          } else {
            for (int64_t i = begin; i < end; ++i) po[i] = std::pow(pa[i], e);
          }
        },
        16384);
  }

  // Pow with an exponent of another type: the output has the base's type.
  static void mixed_pow(OpContext& ctx, const Value& a, const Value& b) {
    Value& out = ctx.allocate_output(0, a.type, broadcast_or_fail(ctx, a, b));
    BroadcastPlan<3> plan;
    plan.set_dims(out.shape, {contiguous_strides(out.shape), broadcast_strides(a.shape, out.shape),
                              broadcast_strides(b.shape, out.shape)});
    const bool ok = visit_numeric(a.type, [&](auto tag) {
      using T = decltype(tag);
      T* po = out.mutable_data<T>();
      plan.for_rows(0, plan.row_count(), [&](const int64_t* off, int64_t n, const int64_t* in) {
        for (int64_t i = 0; i < n; ++i) {
          const double base = numeric_at(a, off[1] + i * in[1]);
          const double exponent = numeric_at(b, off[2] + i * in[2]);
          po[off[0] + i] = static_cast<T>(std::pow(base, exponent));
        }
      });
    });
    if (!ok) ctx.fail("unsupported base type " + a.describe());
  }

  bool fmod_ = false;
  bool shift_left_ = true;
};

// Max, Min, Sum, Mean over one or more broadcast inputs.
template <Arith op, bool mean>
class Variadic final : public OpKernel {
 public:
  explicit Variadic(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const int n = ctx.input_count();
    const Value& first = ctx.input(0);
    Shape out_shape = first.shape;
    for (int i = 1; i < n; ++i) {
      const Value& v = ctx.input(i);
      if (v.type != first.type) ctx.fail("input types differ: " + v.describe());
      if (!broadcast_shapes({&out_shape, &v.shape}, &out_shape)) {
        ctx.fail("input " + v.describe() + " does not broadcast to " + out_shape.to_string());
      }
    }
    Value& out = ctx.allocate_output(0, first.type, out_shape);
    if (is_half(first.type)) {  // through float, rounded once at the end
      Value of{ElemType::kFloat, out_shape,
               ctx.scratch<float>(static_cast<size_t>(std::max<int64_t>(1, out.element_count())))};
      const Value f0 = half_to_float(ctx, first);
      broadcast_apply<float, float>(ctx, f0, f0, of, [](float x, float) { return x; });
      for (int i = 1; i < n; ++i) {
        broadcast_apply<float, float>(ctx, of, half_to_float(ctx, ctx.input(i)), of,
                                      arith<op, float>);
      }
      if constexpr (mean) {
        for (int64_t i = 0; i < of.element_count(); ++i)
          of.mutable_data<float>()[i] /= static_cast<float>(n);
      }
      return float_to_half(of, out);
    }
    const bool ok = visit_numeric(first.type, [&](auto tag) {
      using T = decltype(tag);
      // out = first (broadcast), then out = op(out, input_i).
      broadcast_apply<T, T>(ctx, first, first, out, [](T x, T) { return x; });
      for (int i = 1; i < n; ++i) {
        broadcast_apply<T, T>(ctx, out, ctx.input(i), out, arith<op, T>);
      }
      if constexpr (mean) {
        T* po = out.mutable_data<T>();
        for (int64_t i = 0; i < out.element_count(); ++i) po[i] = static_cast<T>(po[i] / n);
      }
    });
    if (!ok) ctx.fail("unsupported input type " + first.describe());
  }
};

enum class Compare { Equal, Less, LessOrEqual, Greater, GreaterOrEqual };

template <Compare cmp>
class CompareOp final : public OpKernel {
 public:
  explicit CompareOp(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if (a.type != b.type) ctx.fail("input types differ: " + a.describe() + ", " + b.describe());
    Value& out = ctx.allocate_output(0, ElemType::kBool, broadcast_or_fail(ctx, a, b));
    auto run = [&](auto tag) {
      using T = decltype(tag);
      broadcast_apply<T, bool>(ctx, a, b, out, [](T x, T y) {
        if constexpr (cmp == Compare::Equal) return x == y;
        if constexpr (cmp == Compare::Less) return x < y;
        if constexpr (cmp == Compare::LessOrEqual) return x <= y;
        if constexpr (cmp == Compare::Greater) return x > y;
        return x >= y;
      });
    };
    if (a.type == ElemType::kBool) {
      run(bool{});
    } else if (!visit_numeric(a.type, run)) {
      ctx.fail("unsupported input type " + a.describe());
    }
  }
};

enum class Logic { And, Or, Xor };

template <Logic logic>
class LogicOp final : public OpKernel {
 public:
  explicit LogicOp(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if (a.type != ElemType::kBool || b.type != ElemType::kBool) {
      ctx.fail("inputs must be bool, got " + a.describe() + ", " + b.describe());
    }
    Value& out = ctx.allocate_output(0, ElemType::kBool, broadcast_or_fail(ctx, a, b));
    broadcast_apply<bool, bool>(ctx, a, b, out, [](bool x, bool y) {
      if constexpr (logic == Logic::And) return x && y;
      if constexpr (logic == Logic::Or) return x || y;
      return x != y;
    });
  }
};

class Not final : public OpKernel {
 public:
  explicit Not(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.type != ElemType::kBool) ctx.fail("input must be bool, got " + x.describe());
    Value& y = ctx.allocate_output(0, ElemType::kBool, x.shape);
    const bool* px = x.data<bool>();
    bool* py = y.mutable_data<bool>();
    for (int64_t i = 0; i < x.element_count(); ++i) py[i] = !px[i];
  }
};

// Where(condition, X, Y): elements are copied by size, so every element type works.
class Where final : public OpKernel {
 public:
  explicit Where(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& c = ctx.input(0);
    const Value& x = ctx.input(1);
    const Value& y = ctx.input(2);
    if (c.type != ElemType::kBool) ctx.fail("condition must be bool, got " + c.describe());
    if (x.type != y.type) ctx.fail("X and Y types differ: " + x.describe() + ", " + y.describe());
    Shape out_shape;
    if (!broadcast_shapes({&c.shape, &x.shape, &y.shape}, &out_shape)) {
      ctx.fail("shapes " + c.describe() + ", " + x.describe() + ", " + y.describe() +
               " do not broadcast");
    }
    Value& out = ctx.allocate_output(0, x.type, out_shape);
    switch (elem_size(x.type)) {
      case 1:
        return run<uint8_t>(ctx, c, x, y, out);
      case 2:
        return run<uint16_t>(ctx, c, x, y, out);
      case 4:
        return run<uint32_t>(ctx, c, x, y, out);
      case 8:
        return run<uint64_t>(ctx, c, x, y, out);
      default:
        ctx.fail("unsupported element type " + x.describe());
    }
  }

 private:
  template <typename T>
  static void run(OpContext& ctx, const Value& c, const Value& x, const Value& y, Value& out) {
    BroadcastPlan<4> plan;
    plan.set_dims(out.shape,
                  {contiguous_strides(out.shape), broadcast_strides(c.shape, out.shape),
                   broadcast_strides(x.shape, out.shape), broadcast_strides(y.shape, out.shape)});
    const bool* pc = static_cast<const bool*>(c.raw);
    const T* px = static_cast<const T*>(x.raw);
    const T* py = static_cast<const T*>(y.raw);
    T* po = static_cast<T*>(out.raw);
    ctx.pool().parallel_for(
        plan.row_count(),
        [&](int64_t begin, int64_t end, int) {
          plan.for_rows(begin, end, [&](const int64_t* off, int64_t n, const int64_t* in) {
            for (int64_t i = 0; i < n; ++i) {
              po[off[0] + i] =
                  pc[off[1] + i * in[1]] ? px[off[2] + i * in[2]] : py[off[3] + i * in[3]];
            }
          });
        },
        row_grain(plan.row_length()));
  }
};

}  // namespace

void register_binary_ops(OpRegistry& registry) {
  registry.add<ArithOp<Arith::Add>>(kOnnxDomain, "Add", 7, kLatestOpset);
  registry.add<ArithOp<Arith::Sub>>(kOnnxDomain, "Sub", 7, kLatestOpset);
  registry.add<ArithOp<Arith::Mul>>(kOnnxDomain, "Mul", 7, kLatestOpset);
  registry.add<ArithOp<Arith::Div>>(kOnnxDomain, "Div", 7, kLatestOpset);
  registry.add<ArithOp<Arith::Pow>>(kOnnxDomain, "Pow", 7, kLatestOpset);
  registry.add<ArithOp<Arith::Mod>>(kOnnxDomain, "Mod", 10, kLatestOpset);
  registry.add<ArithOp<Arith::PRelu>>(kOnnxDomain, "PRelu", 7, kLatestOpset);
  registry.add<ArithOp<Arith::ShiftLeft>>(kOnnxDomain, "BitShift", 11, kLatestOpset);
  registry.add<Variadic<Arith::Max, false>>(kOnnxDomain, "Max", 8, kLatestOpset);
  registry.add<Variadic<Arith::Min, false>>(kOnnxDomain, "Min", 8, kLatestOpset);
  registry.add<Variadic<Arith::Add, false>>(kOnnxDomain, "Sum", 8, kLatestOpset);
  registry.add<Variadic<Arith::Add, true>>(kOnnxDomain, "Mean", 8, kLatestOpset);
  registry.add<CompareOp<Compare::Equal>>(kOnnxDomain, "Equal", 7, kLatestOpset);
  registry.add<CompareOp<Compare::Less>>(kOnnxDomain, "Less", 7, kLatestOpset);
  registry.add<CompareOp<Compare::LessOrEqual>>(kOnnxDomain, "LessOrEqual", 12, kLatestOpset);
  registry.add<CompareOp<Compare::Greater>>(kOnnxDomain, "Greater", 7, kLatestOpset);
  registry.add<CompareOp<Compare::GreaterOrEqual>>(kOnnxDomain, "GreaterOrEqual", 12, kLatestOpset);
  registry.add<LogicOp<Logic::And>>(kOnnxDomain, "And", 7, kLatestOpset);
  registry.add<LogicOp<Logic::Or>>(kOnnxDomain, "Or", 7, kLatestOpset);
  registry.add<LogicOp<Logic::Xor>>(kOnnxDomain, "Xor", 7, kLatestOpset);
  registry.add<Not>(kOnnxDomain, "Not", 1, kLatestOpset);
  registry.add<Where>(kOnnxDomain, "Where", 9, kLatestOpset);
}

}  // namespace parley::onnx
