// Recurrent layers: LSTM, GRU and RNN (float), every direction (forward, reverse, bidirectional),
// both layouts, sequence_lens, initial states, peepholes, clip and the activation functions
// ONNX lists (Sigmoid, Tanh, Relu, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid,
// Elu, Softsign, Softplus).
//
// Per direction the input projection of the whole sequence is one GEMM (X · Wᵀ + Wb); each time
// step then adds H_{t-1} · Rᵀ (a thin GEMM over the batch) and applies the gate nonlinearities.
// Outputs: Y (all hidden states), Y_h (last hidden state) and, for LSTM, Y_c (last cell state),
// which Silero VAD feeds back between chunks. With sequence_lens, a batch entry stops updating
// after its length: Y is zero past it and Y_h/Y_c hold the state at its last valid step.
#include <cmath>
#include <string>

#include "kernels/gemm.h"
#include "kernels/kernel_table.h"
#include "kernels/onnx/ops_util.h"
#include "kernels/onnx/packed_gemm.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

enum class Kind { Lstm, Gru, Rnn };

struct Activation {
  enum class Fn {
    Sigmoid,
    Tanh,
    Relu,
    Affine,
    LeakyRelu,
    ThresholdedRelu,
    ScaledTanh,
    HardSigmoid,
    Elu,
    Softsign,
    Softplus
  };
  Fn fn = Fn::Sigmoid;
  float alpha = 0.0f, beta = 0.0f;

  // y = f(x) over n contiguous floats (in place allowed).
  void apply(int64_t n, const float* x, float* y) const {
    const kernels::KernelTable& k = kernels::kernels();
    switch (fn) {
      case Fn::Sigmoid:
        return k.unary[static_cast<int>(kernels::UnaryOp::Sigmoid)](n, x, y);
      case Fn::Tanh:
        return k.unary[static_cast<int>(kernels::UnaryOp::Tanh)](n, x, y);
      case Fn::Relu:
        return k.unary[static_cast<int>(kernels::UnaryOp::Relu)](n, x, y);
      default:
        break;
    }
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      switch (fn) {
        case Fn::Affine:
          y[i] = alpha * v + beta;
          break;
        case Fn::LeakyRelu:
          y[i] = leaky_relu(v, alpha);
          break;
        case Fn::ThresholdedRelu:
          y[i] = v > alpha ? v : 0.0f;
          break;
        case Fn::ScaledTanh:
          y[i] = alpha * std::tanh(beta * v);
          break;
        case Fn::HardSigmoid:
          y[i] = std::clamp(alpha * v + beta, 0.0f, 1.0f);
          break;
        case Fn::Elu:
          y[i] = v >= 0 ? v : alpha * std::expm1(v);
          break;
        case Fn::Softsign:
          y[i] = v / (1.0f + std::fabs(v));
          break;
        case Fn::Softplus:
          y[i] = v > 30.0f ? v : std::log1p(std::exp(v));
          break;
        default:
          break;
      }
    }
  }
};

// Parses `activations` (with activation_alpha/beta consumed in order) or the defaults.
std::vector<Activation> parse_activations(const NodeInfo& node, int per_direction, int directions,
                                          const std::vector<std::string>& defaults) {
  std::vector<std::string> names = node.attr_strings("activations");
  if (names.empty()) {
    for (int d = 0; d < directions; ++d)
      names.insert(names.end(), defaults.begin(), defaults.end());
  }
  if (static_cast<int>(names.size()) != per_direction * directions) {
    node.fail("activations must list " + std::to_string(per_direction * directions) + " functions");
  }
  const std::vector<float> alphas = node.attr_floats("activation_alpha");
  const std::vector<float> betas = node.attr_floats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<Activation> out;
  for (const std::string& name : names) {
    Activation a;
    using Fn = Activation::Fn;
    auto take = [&](float alpha_default, float beta_default, bool has_beta) {
      a.alpha = ai < alphas.size() ? alphas[ai++] : alpha_default;
      if (has_beta) a.beta = bi < betas.size() ? betas[bi++] : beta_default;
    };
    if (name == "Sigmoid")
      a.fn = Fn::Sigmoid;
    else if (name == "Tanh")
      a.fn = Fn::Tanh;
    else if (name == "Relu")
      a.fn = Fn::Relu;
    else if (name == "Affine") {
      a.fn = Fn::Affine;
      take(1.0f, 0.0f, true);
    } else if (name == "LeakyRelu") {
      a.fn = Fn::LeakyRelu;
      take(0.01f, 0.0f, false);
    } else if (name == "ThresholdedRelu") {
      a.fn = Fn::ThresholdedRelu;
      take(1.0f, 0.0f, false);
    } else if (name == "ScaledTanh") {
      a.fn = Fn::ScaledTanh;
      take(1.0f, 1.0f, true);
    } else if (name == "HardSigmoid") {
      a.fn = Fn::HardSigmoid;
      take(0.2f, 0.5f, true);
    } else if (name == "Elu") {
      a.fn = Fn::Elu;
      take(1.0f, 0.0f, false);
    } else if (name == "Softsign")
      a.fn = Fn::Softsign;
    else if (name == "Softplus")
      a.fn = Fn::Softplus;
    else
      node.fail("unsupported activation '" + name + "'");
    out.push_back(a);
  }
  return out;
}

template <Kind kind>
class Recurrent final : public OpKernel {
 public:
  static constexpr int kGates = kind == Kind::Lstm ? 4 : (kind == Kind::Gru ? 3 : 1);
  static constexpr int kActivations = kind == Kind::Lstm ? 3 : (kind == Kind::Gru ? 2 : 1);

  explicit Recurrent(const NodeInfo& node)
      : hidden_(node.attr_int("hidden_size")),
        clip_(node.attr_float("clip", 0.0f)),
        layout_(node.attr_int("layout", 0)),
        input_forget_(node.attr_int("input_forget", 0) != 0),
        linear_before_reset_(node.attr_int("linear_before_reset", 0) != 0) {
    const std::string direction = node.attr_string("direction", "forward");
    if (direction == "forward")
      directions_ = 1;
    else if (direction == "reverse") {
      directions_ = 1;
      reverse_only_ = true;
    } else if (direction == "bidirectional")
      directions_ = 2;
    else
      node.fail("unsupported direction '" + direction + "'");
    if (hidden_ < 1) node.fail("hidden_size must be >= 1");
    if (layout_ != 0 && layout_ != 1) node.fail("layout must be 0 or 1");
    const std::vector<std::string> defaults =
        kind == Kind::Lstm  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
        : kind == Kind::Gru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                            : std::vector<std::string>{"Tanh"};
    activations_ = parse_activations(node, kActivations, directions_, defaults);
    // Constant W [D, G*H, input] and R [D, G*H, H]: pack Wᵀ and Rᵀ per direction.
    const Value* w = node.constant_input(1);
    const Value* r = node.constant_input(2);
    const int64_t gh = kGates * hidden_;
    if (w != nullptr && r != nullptr && w->type == ElemType::kFloat &&
        r->type == ElemType::kFloat && w->shape.rank() == 3 && r->shape.rank() == 3 &&
        w->shape[0] == directions_ && w->shape[1] == gh && r->shape[0] == directions_ &&
        r->shape[1] == gh && r->shape[2] == hidden_ && w->shape[2] > 0) {
      const int64_t input = w->shape[2];
      packed_w_.resize(static_cast<size_t>(directions_));
      packed_r_.resize(static_cast<size_t>(directions_));
      for (int dir = 0; dir < directions_; ++dir) {
        packed_w_[dir].pack(w->data<float>() + dir * gh * input, input, gh, /*transposed=*/true);
        packed_r_[dir].pack(r->data<float>() + dir * gh * hidden_, hidden_, gh,
                            /*transposed=*/true);
      }
    }
  }

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& w = ctx.input(1);
    const Value& r = ctx.input(2);
    const Value* b = ctx.input_or_null(3);
    const Value* lens = ctx.input_or_null(4);
    const Value* h0 = ctx.input_or_null(5);
    const Value* c0 = kind == Kind::Lstm ? ctx.input_or_null(6) : nullptr;
    const Value* p = kind == Kind::Lstm ? ctx.input_or_null(7) : nullptr;
    const int64_t H = hidden_, G = kGates, D = directions_;
    if (x.type != ElemType::kFloat || x.shape.rank() != 3)
      ctx.fail("X must be float 3-D, got " + x.describe());
    const int64_t seq = layout_ == 0 ? x.shape[0] : x.shape[1];
    const int64_t batch = layout_ == 0 ? x.shape[1] : x.shape[0];
    const int64_t input = x.shape[2];
    auto expect = [&](const Value* v, std::initializer_list<int64_t> dims, const char* name) {
      if (v == nullptr) return;
      if (v->type != ElemType::kFloat || !(v->shape == Shape(dims))) {
        ctx.fail(std::string(name) + " must be float " + Shape(dims).to_string() + ", got " +
                 v->describe());
      }
    };
    expect(&w, {D, G * H, input}, "W");
    expect(&r, {D, G * H, H}, "R");
    expect(b, {D, 2 * G * H}, "B");
    // Layout 1 stores states [batch, num_directions, hidden].
    expect(h0, {layout_ == 0 ? D : batch, layout_ == 0 ? batch : D, H}, "initial_h");
    expect(c0, {layout_ == 0 ? D : batch, layout_ == 0 ? batch : D, H}, "initial_c");
    expect(p, {D, 3 * H}, "P");
    if (lens != nullptr && (!is_int_index_type(lens->type) || lens->element_count() != batch)) {
      ctx.fail("sequence_lens must be int32 [" + std::to_string(batch) + "]");
    }
    for (int64_t i = 0; lens != nullptr && i < batch; ++i) {
      if (int_at(*lens, i) < 0 || int_at(*lens, i) > seq)
        ctx.fail("sequence_lens value out of range");
    }
    const Shape y_shape = layout_ == 0 ? Shape{seq, D, batch, H} : Shape{batch, seq, D, H};
    const Shape state_shape = layout_ == 0 ? Shape{D, batch, H} : Shape{batch, D, H};
    float* y =
        ctx.output_wanted(0)
            ? ctx.allocate_output(0, ElemType::kFloat, y_shape).template mutable_data<float>()
            : nullptr;
    float* y_h =
        ctx.output_count() > 1 && ctx.output_wanted(1)
            ? ctx.allocate_output(1, ElemType::kFloat, state_shape).template mutable_data<float>()
            : nullptr;
    float* y_c =
        kind == Kind::Lstm && ctx.output_count() > 2 && ctx.output_wanted(2)
            ? ctx.allocate_output(2, ElemType::kFloat, state_shape).template mutable_data<float>()
            : nullptr;
    if (y != nullptr) std::fill(y, y + y_shape.element_count(), 0.0f);

    // Scratch: input projections, recurrent projections, states.
    float* xw = ctx.scratch<float>(static_cast<size_t>(std::max<int64_t>(1, seq * batch * G * H)));
    float* hr = ctx.scratch<float>(static_cast<size_t>(batch * G * H));
    float* h = ctx.scratch<float>(static_cast<size_t>(batch * H));
    float* c = ctx.scratch<float>(static_cast<size_t>(batch * H));
    float* h_next = ctx.scratch<float>(static_cast<size_t>(batch * H));
    float* xs =
        layout_ == 0
            ? nullptr
            : ctx.scratch<float>(static_cast<size_t>(std::max<int64_t>(1, seq * batch * input)));
    const float* px = x.data<float>();
    if (layout_ == 1) {  // [batch, seq, input] -> [seq, batch, input]
      for (int64_t bi = 0; bi < batch; ++bi) {
        for (int64_t t = 0; t < seq; ++t) {
          std::memcpy(xs + (t * batch + bi) * input, px + (bi * seq + t) * input,
                      static_cast<size_t>(input) * sizeof(float));
        }
      }
      px = xs;
    }
    for (int64_t dir = 0; dir < D; ++dir) {
      const bool reverse = reverse_only_ || dir == 1;
      const float* wd = w.data<float>() + dir * G * H * input;
      const float* rd = r.data<float>() + dir * G * H * H;
      const float* wb = b != nullptr ? b->data<float>() + dir * 2 * G * H : nullptr;
      const float* rb = wb != nullptr ? wb + G * H : nullptr;
      const float* peep = p != nullptr ? p->data<float>() + dir * 3 * H : nullptr;
      const Activation* act = activations_.data() + dir * kActivations;
      const bool packed = !packed_w_.empty() && packed_w_[dir].k() == input;
      if (packed && seq * batch > 0) {
        packed_gemm({px, input, 1}, seq * batch, packed_w_[dir], {xw, G * H, 1}, nullptr, false,
                    &ctx.pool());
      } else if (seq * batch > 0 && input > 0) {
        kernels::gemm_f32(kernels::Transpose::No, kernels::Transpose::Yes, seq * batch, G * H,
                          input, 1.0f, px, input, wd, input, 0.0f, xw, G * H);
      } else {
        std::fill(xw, xw + seq * batch * G * H, 0.0f);
      }
      for (int64_t bi = 0; bi < batch; ++bi) {
        const int64_t at = layout_ == 0 ? (dir * batch + bi) * H : (bi * D + dir) * H;
        for (int64_t j = 0; j < H; ++j) {
          h[bi * H + j] = h0 != nullptr ? h0->data<float>()[at + j] : 0.0f;
          c[bi * H + j] = c0 != nullptr ? c0->data<float>()[at + j] : 0.0f;
        }
      }
      for (int64_t s = 0; s < seq; ++s) {
        if (packed) {
          packed_gemm({h, H, 1}, batch, packed_r_[dir], {hr, G * H, 1}, nullptr, false,
                      &ctx.pool());
        } else {
          kernels::gemm_f32(kernels::Transpose::No, kernels::Transpose::Yes, batch, G * H, H,
                            1.0f, h, H, rd, H, 0.0f, hr, G * H);
        }
        for (int64_t bi = 0; bi < batch; ++bi) {
          const int64_t len = lens != nullptr ? int_at(*lens, bi) : seq;
          if (s >= len) continue;
          const int64_t t = reverse ? len - 1 - s : s;
          float* gates = hr + bi * G * H;  // becomes the gate pre-activations
          const float* xg = xw + (t * batch + bi) * G * H;
          float* hb = h + bi * H;
          float* cb = c + bi * H;
          step(gates, xg, wb, rb, peep, act, rd, hb, cb, h_next + bi * H);
          std::memcpy(hb, h_next + bi * H, static_cast<size_t>(H) * sizeof(float));
          if (y != nullptr) {
            float* dst = layout_ == 0 ? y + ((t * D + dir) * batch + bi) * H
                                      : y + ((bi * seq + t) * D + dir) * H;
            std::memcpy(dst, hb, static_cast<size_t>(H) * sizeof(float));
          }
        }
      }
      for (int64_t bi = 0; bi < batch; ++bi) {
        const int64_t at = layout_ == 0 ? (dir * batch + bi) * H : (bi * D + dir) * H;
        if (y_h != nullptr)
          std::memcpy(y_h + at, h + bi * H, static_cast<size_t>(H) * sizeof(float));
        if (y_c != nullptr)
          std::memcpy(y_c + at, c + bi * H, static_cast<size_t>(H) * sizeof(float));
      }
    }
  }

 private:
  void clip(float* v, int64_t n) const {
    if (clip_ <= 0.0f) return;
    for (int64_t i = 0; i < n; ++i) v[i] = std::clamp(v[i], -clip_, clip_);
  }

  // One time step of one batch entry. gates holds H_{t-1}·Rᵀ on entry (all G gates).
  void step(float* gates, const float* xg, const float* wb, const float* rb, const float* peep,
            const Activation* act, const float* rd, const float* h_prev, float* c,
            float* h_out) const {
    const int64_t H = hidden_;
    if constexpr (kind == Kind::Lstm) {
      // Gate order in W/R/B: i, o, f, c. Peepholes P: i, o, f.
      for (int64_t j = 0; j < 4 * H; ++j) {
        gates[j] += xg[j] + (wb != nullptr ? wb[j] + rb[j] : 0.0f);
      }
      float* gi = gates;
      float* go = gates + H;
      float* gf = gates + 2 * H;
      float* gc = gates + 3 * H;
      if (peep != nullptr) {
        for (int64_t j = 0; j < H; ++j) {
          gi[j] += peep[j] * c[j];
          gf[j] += peep[2 * H + j] * c[j];
        }
      }
      clip(gates, 4 * H);
      act[0].apply(H, gi, gi);
      if (input_forget_) {
        for (int64_t j = 0; j < H; ++j) gf[j] = 1.0f - gi[j];
      } else {
        act[0].apply(H, gf, gf);
      }
      act[1].apply(H, gc, gc);
      for (int64_t j = 0; j < H; ++j) c[j] = gf[j] * c[j] + gi[j] * gc[j];
      if (peep != nullptr) {
        for (int64_t j = 0; j < H; ++j) go[j] += peep[H + j] * c[j];
        clip(go, H);
      }
      act[0].apply(H, go, go);
      act[2].apply(H, c, h_out);
      for (int64_t j = 0; j < H; ++j) h_out[j] *= go[j];
    } else if constexpr (kind == Kind::Gru) {
      // Gate order: z, r, h.
      float* gz = gates;
      float* gr = gates + H;
      float* gh = gates + 2 * H;
      for (int64_t j = 0; j < 2 * H; ++j)
        gates[j] += xg[j] + (wb != nullptr ? wb[j] + rb[j] : 0.0f);
      clip(gates, 2 * H);
      act[0].apply(2 * H, gates, gates);
      if (linear_before_reset_) {
        for (int64_t j = 0; j < H; ++j) {
          gh[j] = xg[2 * H + j] + (wb != nullptr ? wb[2 * H + j] : 0.0f) +
                  gr[j] * (gh[j] + (rb != nullptr ? rb[2 * H + j] : 0.0f));
        }
      } else {
        // (r ⊙ H_{t-1}) · Rhᵀ: recompute this gate's recurrent product with the reset state.
        const float* rh = rd + 2 * H * H;
        for (int64_t j = 0; j < H; ++j) {
          double acc = 0;
          for (int64_t k = 0; k < H; ++k)
            acc += static_cast<double>(gr[k] * h_prev[k]) * rh[j * H + k];
          gh[j] = static_cast<float>(acc) + xg[2 * H + j] +
                  (wb != nullptr ? wb[2 * H + j] + rb[2 * H + j] : 0.0f);
        }
      }
      clip(gh, H);
      act[1].apply(H, gh, gh);
      for (int64_t j = 0; j < H; ++j) h_out[j] = (1.0f - gz[j]) * gh[j] + gz[j] * h_prev[j];
      (void)c;
    } else {
      for (int64_t j = 0; j < H; ++j) gates[j] += xg[j] + (wb != nullptr ? wb[j] + rb[j] : 0.0f);
      clip(gates, H);
      act[0].apply(H, gates, h_out);
      (void)c;
      (void)h_prev;
      (void)rd;
    }
  }

  int64_t hidden_;
  float clip_;
  int64_t layout_;
  bool input_forget_, linear_before_reset_;
  int directions_ = 1;
  bool reverse_only_ = false;
  std::vector<Activation> activations_;
  std::vector<PackedMatrix> packed_w_, packed_r_;  // Wᵀ, Rᵀ per direction when constant
};

}  // namespace

void register_rnn_ops(OpRegistry& registry) {
  registry.add<Recurrent<Kind::Lstm>>(kOnnxDomain, "LSTM", 7, kLatestOpset);
  registry.add<Recurrent<Kind::Gru>>(kOnnxDomain, "GRU", 7, kLatestOpset);
  registry.add<Recurrent<Kind::Rnn>>(kOnnxDomain, "RNN", 7, kLatestOpset);
}

}  // namespace parley::onnx
