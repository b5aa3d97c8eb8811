// Random generators: RandomNormal, RandomNormalLike, RandomUniform, RandomUniformLike.
//
// Values come from a 64-bit SplitMix/xoshiro256** stream (portable: the same seed gives the same
// numbers on every platform and compiler), normals through the Box-Muller transform. Seeding:
//   * with a `seed` attribute, the stream is seeded from it, so every run of the node produces
//     the same tensor (the kernel is stateless and shared by sessions);
//   * without one, each run takes a fresh seed from the session's deterministic generator
//     (OpContext::next_random_seed, set by SessionOptions::random_seed), so a session seeded the
//     same way reproduces the same sequence of runs.
// Output dtype: the `dtype` attribute, else the input's type (…Like) or float; float, double and
// float16 are supported.
#include <cmath>
#include <cstring>
#include <numbers>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

// xoshiro256** seeded through SplitMix64.
class RandomStream {
 public:
  explicit RandomStream(uint64_t seed) {
    for (uint64_t& s : state_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

class RandomOp final : public OpKernel {
 public:
  RandomOp(const NodeInfo& node, bool normal, bool like)
      : normal_(normal),
        like_(like),
        has_seed_(node.has_attr("seed")),
        seed_(node.attr_float("seed", 0.0f)),
        shape_(node.attr_ints("shape")) {
    if (normal) {
      a_ = node.attr_float("mean", 0.0f);
      b_ = node.attr_float("scale", 1.0f);
    } else {
      a_ = node.attr_float("low", 0.0f);
      b_ = node.attr_float("high", 1.0f);
    }
    if (node.has_attr("dtype")) {
      dtype_ = static_cast<ElemType>(node.attr_int("dtype"));
      has_dtype_ = true;
    }
    if (has_dtype_ && dtype_ != ElemType::kFloat && dtype_ != ElemType::kDouble &&
        dtype_ != ElemType::kFloat16) {
      node.fail("dtype must be float, double or float16");
    }
    if (!like && node.has_attr("shape") == false) node.fail("attribute 'shape' is required");
  }

  void compute(OpContext& ctx) const override {
    Shape shape;
    ElemType type = has_dtype_ ? dtype_ : ElemType::kFloat;
    if (like_) {
      const Value& x = ctx.input(0);
      shape = x.shape;
      if (!has_dtype_) type = x.type;
      if (type != ElemType::kFloat && type != ElemType::kDouble && type != ElemType::kFloat16) {
        ctx.fail("output type must be float, double or float16, got " + x.describe());
      }
    } else {
      for (int64_t d : shape_) {
        if (d < 0) ctx.fail("shape has a negative dim");
        shape.push_back(d);
      }
    }
    uint64_t seed;
    if (has_seed_) {
      std::memcpy(&seed, &seed_, sizeof(float));
      seed &= 0xffffffffull;
    } else {
      seed = ctx.next_random_seed();
    }
    RandomStream stream(seed);
    Value& y = ctx.allocate_output(0, type, shape);
    const int64_t n = y.element_count();
    auto draw = [&](int64_t i, double spare[2]) -> double {
      if (!normal_) return a_ + (b_ - a_) * stream.uniform();
      if ((i & 1) == 0) {                          // Box-Muller: two normals per pair of uniforms
        const double u1 = 1.0 - stream.uniform();  // (0, 1]
        const double u2 = stream.uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        spare[0] = radius * std::cos(2.0 * std::numbers::pi * u2);
        spare[1] = radius * std::sin(2.0 * std::numbers::pi * u2);
      }
      return a_ + b_ * spare[i & 1];
    };
    double spare[2] = {0.0, 0.0};
    for (int64_t i = 0; i < n; ++i) {
      const double v = draw(i, spare);
      switch (type) {
        case ElemType::kFloat:
          y.mutable_data<float>()[i] = static_cast<float>(v);
          break;
        case ElemType::kDouble:
          y.mutable_data<double>()[i] = v;
          break;
        default:
          y.mutable_data<uint16_t>()[i] = kernels::fp32_to_fp16(static_cast<float>(v));
          break;
      }
    }
  }

 private:
  bool normal_, like_, has_seed_;
  float seed_;
  std::vector<int64_t> shape_;
  double a_ = 0.0, b_ = 1.0;
  ElemType dtype_ = ElemType::kFloat;
  bool has_dtype_ = false;
};

template <bool normal, bool like>
void add_random(OpRegistry& registry, std::string_view op) {
  registry.add(kOnnxDomain, op, 1, kLatestOpset,
               [](const NodeInfo& node) -> std::unique_ptr<OpKernel> {
                 return std::make_unique<RandomOp>(node, normal, like);
               });
}

}  // namespace

void register_random_ops(OpRegistry& registry) {
  add_random<true, false>(registry, "RandomNormal");
  add_random<true, true>(registry, "RandomNormalLike");
  add_random<false, false>(registry, "RandomUniform");
  add_random<false, true>(registry, "RandomUniformLike");
}

}  // namespace parley::onnx
