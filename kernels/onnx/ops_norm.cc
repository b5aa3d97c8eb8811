// Normalisations (float): LayerNormalization (with optional Mean / InvStdDev outputs),
// BatchNormalization (inference, and training mode with running statistics),
// InstanceNormalization. Statistics accumulate in double; rows are split across the pool.
#include <cmath>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

void require_float(const OpContext& ctx, const Value* v, const char* name) {
  if (v != nullptr && v->type != ElemType::kFloat) {
    ctx.fail(std::string(name) + " must be float, got " + v->describe());
  }
}

class LayerNormalization final : public OpKernel {
 public:
  explicit LayerNormalization(const NodeInfo& node)
      : axis_(node.attr_int("axis", -1)), epsilon_(node.attr_float("epsilon", 1e-5f)) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& scale = ctx.input(1);
    const Value* bias = ctx.input_or_null(2);
    require_float(ctx, &x, "X");
    require_float(ctx, &scale, "Scale");
    require_float(ctx, bias, "B");
    const int rank = x.shape.rank();
    const int axis = normalize_axis(axis_, rank, ctx.node());
    const int64_t rows = x.shape.count(0, axis), n = x.shape.count(axis, rank);
    // Scale and B broadcast against the normalised dims [axis, rank).
    Shape norm_shape;
    for (int d = axis; d < rank; ++d) norm_shape.push_back(x.shape[d]);
    Shape check;
    for (const Value* v : {&scale, bias}) {
      if (v != nullptr &&
          (!broadcast_shapes({&v->shape, &norm_shape}, &check) || !(check == norm_shape))) {
        ctx.fail(v->describe() + " does not broadcast to the normalised shape " +
                 norm_shape.to_string());
      }
    }
    // Expand scale and bias to full rows once (they are usually already [n]).
    const float* ps = scale.data<float>();
    const float* pb = bias != nullptr ? bias->data<float>() : nullptr;
    if (scale.element_count() != n) {
      float* full = ctx.scratch<float>(static_cast<size_t>(n));
      strided_copy(ctx.pool(), norm_shape, scale.raw, broadcast_strides(scale.shape, norm_shape),
                   full, contiguous_strides(norm_shape), sizeof(float));
      ps = full;
    }
    if (bias != nullptr && bias->element_count() != n) {
      float* full = ctx.scratch<float>(static_cast<size_t>(n));
      strided_copy(ctx.pool(), norm_shape, bias->raw, broadcast_strides(bias->shape, norm_shape),
                   full, contiguous_strides(norm_shape), sizeof(float));
      pb = full;
    }
    Value& y = ctx.allocate_output(0, ElemType::kFloat, x.shape);
    Shape stat_shape = x.shape;
    for (int d = axis; d < rank; ++d) stat_shape[d] = 1;
    float* mean_out =
        ctx.output_count() > 1 && ctx.output_wanted(1)
            ? ctx.allocate_output(1, ElemType::kFloat, stat_shape).mutable_data<float>()
            : nullptr;
    float* inv_out =
        ctx.output_count() > 2 && ctx.output_wanted(2)
            ? ctx.allocate_output(2, ElemType::kFloat, stat_shape).mutable_data<float>()
            : nullptr;
    const float* px = x.data<float>();
    float* py = y.mutable_data<float>();
    const double eps = epsilon_;
    ctx.pool().parallel_for(
        rows,
        [&](int64_t begin, int64_t end, int) {
          for (int64_t r = begin; r < end; ++r) {
            const float* row = px + r * n;
            double sum = 0, sq = 0;
            for (int64_t i = 0; i < n; ++i) sum += row[i];
            const double mean = n > 0 ? sum / static_cast<double>(n) : 0.0;
            for (int64_t i = 0; i < n; ++i) sq += (row[i] - mean) * (row[i] - mean);
            const double inv = 1.0 / std::sqrt((n > 0 ? sq / static_cast<double>(n) : 0.0) + eps);
            for (int64_t i = 0; i < n; ++i) {
              py[r * n + i] = static_cast<float>((row[i] - mean) * inv * ps[i] +
                                                 (pb != nullptr ? pb[i] : 0.0f));
            }
            if (mean_out != nullptr) mean_out[r] = static_cast<float>(mean);
            if (inv_out != nullptr) inv_out[r] = static_cast<float>(inv);
          }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n)));
  }

 private:
  int64_t axis_;
  float epsilon_;
};

class BatchNormalization final : public OpKernel {
 public:
  explicit BatchNormalization(const NodeInfo& node)
      : epsilon_(node.attr_float("epsilon", 1e-5f)),
        momentum_(node.attr_float("momentum", 0.9f)),
        training_(node.attr_int("training_mode", 0) != 0) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& scale = ctx.input(1);
    const Value& bias = ctx.input(2);
    const Value& mean = ctx.input(3);
    const Value& var = ctx.input(4);
    for (const Value* v : {&x, &scale, &bias, &mean, &var}) require_float(ctx, v, "inputs");
    if (x.shape.rank() < 2) ctx.fail("X must have rank >= 2");
    const int64_t batch = x.shape[0], channels = x.shape[1],
                  spatial = x.shape.count(2, x.shape.rank());
    for (const Value* v : {&scale, &bias, &mean, &var}) {
      if (v->element_count() != channels)
        ctx.fail("per-channel input " + v->describe() + " must have C elements");
    }
    Value& y = ctx.allocate_output(0, ElemType::kFloat, x.shape);
    const float* px = x.data<float>();
    float* py = y.mutable_data<float>();
    double* use_mean = ctx.scratch<double>(static_cast<size_t>(channels));
    double* use_var = ctx.scratch<double>(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      use_mean[c] = mean.data<float>()[c];
      use_var[c] = var.data<float>()[c];
    }
    if (training_) {
      float* running_mean =
          ctx.output_count() > 1
              ? ctx.allocate_output(1, ElemType::kFloat, mean.shape).mutable_data<float>()
              : nullptr;
      float* running_var =
          ctx.output_count() > 2
              ? ctx.allocate_output(2, ElemType::kFloat, var.shape).mutable_data<float>()
              : nullptr;
      const double count = static_cast<double>(batch * spatial);
      for (int64_t c = 0; c < channels; ++c) {
        double sum = 0, sq = 0;
        for (int64_t n = 0; n < batch; ++n) {
          const float* p = px + (n * channels + c) * spatial;
          for (int64_t i = 0; i < spatial; ++i) sum += p[i];
        }
        const double m = count > 0 ? sum / count : 0.0;
        for (int64_t n = 0; n < batch; ++n) {
          const float* p = px + (n * channels + c) * spatial;
          for (int64_t i = 0; i < spatial; ++i) sq += (p[i] - m) * (p[i] - m);
        }
        const double v = count > 0 ? sq / count : 0.0;
        if (running_mean)
          running_mean[c] = static_cast<float>(use_mean[c] * momentum_ + m * (1.0 - momentum_));
        if (running_var)
          running_var[c] = static_cast<float>(use_var[c] * momentum_ + v * (1.0 - momentum_));
        use_mean[c] = m;
        use_var[c] = v;
      }
    }
    ctx.pool().parallel_for(
        batch * channels,
        [&](int64_t begin, int64_t end, int) {
          for (int64_t r = begin; r < end; ++r) {
            const int64_t c = r % channels;
            const double a = scale.data<float>()[c] / std::sqrt(use_var[c] + epsilon_);
            const double b = bias.data<float>()[c] - a * use_mean[c];
            for (int64_t i = 0; i < spatial; ++i)
              py[r * spatial + i] = static_cast<float>(a * px[r * spatial + i] + b);
          }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(1, spatial)));
  }

 private:
  float epsilon_, momentum_;
  bool training_;
};

class InstanceNormalization final : public OpKernel {
 public:
  explicit InstanceNormalization(const NodeInfo& node)
      : epsilon_(node.attr_float("epsilon", 1e-5f)) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& scale = ctx.input(1);
    const Value& bias = ctx.input(2);
    for (const Value* v : {&x, &scale, &bias}) require_float(ctx, v, "inputs");
    if (x.shape.rank() < 3) ctx.fail("X must have rank >= 3");
    const int64_t channels = x.shape[1], spatial = x.shape.count(2, x.shape.rank());
    if (scale.element_count() != channels || bias.element_count() != channels)
      ctx.fail("scale and B must have C elements");
    Value& y = ctx.allocate_output(0, ElemType::kFloat, x.shape);
    const float* px = x.data<float>();
    float* py = y.mutable_data<float>();
    ctx.pool().parallel_for(x.shape[0] * channels, [&](int64_t begin, int64_t end, int) {
      for (int64_t r = begin; r < end; ++r) {
        const float* p = px + r * spatial;
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < spatial; ++i) sum += p[i];
        const double m = sum / static_cast<double>(spatial);
        for (int64_t i = 0; i < spatial; ++i) sq += (p[i] - m) * (p[i] - m);
        const double inv = 1.0 / std::sqrt(sq / static_cast<double>(spatial) + epsilon_);
        const int64_t c = r % channels;
        for (int64_t i = 0; i < spatial; ++i) {
          py[r * spatial + i] =
              static_cast<float>((p[i] - m) * inv * scale.data<float>()[c] + bias.data<float>()[c]);
        }
      }
    });
  }

 private:
  float epsilon_;
};

}  // namespace

void register_norm_ops(OpRegistry& registry) {
  registry.add<LayerNormalization>(kOnnxDomain, "LayerNormalization", 17, kLatestOpset);
  registry.add<BatchNormalization>(kOnnxDomain, "BatchNormalization", 9, kLatestOpset);
  registry.add<InstanceNormalization>(kOnnxDomain, "InstanceNormalization", 6, kLatestOpset);
}

}  // namespace parley::onnx
