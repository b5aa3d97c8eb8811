// Pooling over 1 to 3 spatial dims (float, and uint8 for MaxPool): MaxPool (with the optional
// Indices output), AveragePool (count_include_pad), GlobalAveragePool, GlobalMaxPool.
// Supports strides, dilations (MaxPool), explicit pads, auto_pad and ceil_mode. Each (image,
// channel) plane is one task for the pool.
#include <cmath>
#include <limits>
#include <string>

#include "kernels/onnx/ops_util.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

constexpr int kMaxSpatial = 3;

template <bool is_max>
class Pool final : public OpKernel {
 public:
  explicit Pool(const NodeInfo& node)
      : auto_pad_(node.attr_string("auto_pad", "NOTSET")),
        ceil_mode_(node.attr_int("ceil_mode", 0) != 0),
        count_include_pad_(node.attr_int("count_include_pad", 0) != 0),
        storage_order_(node.attr_int("storage_order", 0)),
        kernel_(node.attr_ints("kernel_shape")),
        strides_(node.attr_ints("strides")),
        dilations_(node.attr_ints("dilations")),
        pads_(node.attr_ints("pads")) {
    if (kernel_.empty() || kernel_.size() > kMaxSpatial)
      node.fail("kernel_shape must list 1 to 3 dims");
    if (auto_pad_ != "NOTSET" && auto_pad_ != "SAME_UPPER" && auto_pad_ != "SAME_LOWER" &&
        auto_pad_ != "VALID") {
      node.fail("unsupported auto_pad '" + auto_pad_ + "'");
    }
    if (storage_order_ != 0 && storage_order_ != 1) node.fail("storage_order must be 0 or 1");
  }

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const int s = static_cast<int>(kernel_.size());
    if (x.shape.rank() != s + 2) ctx.fail("X rank does not match kernel_shape: " + x.describe());
    if (x.type != ElemType::kFloat && !(is_max && x.type == ElemType::kUint8))
      ctx.fail("unsupported type " + x.describe());
    int64_t k[kMaxSpatial], st[kMaxSpatial], dil[kMaxSpatial], pb[kMaxSpatial], in[kMaxSpatial],
        out[kMaxSpatial];
    Shape out_shape{x.shape[0], x.shape[1]};
    for (int d = 0; d < s; ++d) {
      k[d] = kernel_[d];
      st[d] = strides_.empty() ? 1 : strides_[d];
      dil[d] = dilations_.empty() ? 1 : dilations_[d];
      pb[d] = pads_.empty() ? 0 : pads_[d];
      int64_t pe = pads_.empty() ? 0 : pads_[s + d];
      in[d] = x.shape[2 + d];
      if (k[d] < 1 || st[d] < 1 || dil[d] < 1)
        ctx.fail("kernel, strides and dilations must be >= 1");
      const int64_t extent = (k[d] - 1) * dil[d] + 1;
      if (auto_pad_ == "VALID") {
        pb[d] = pe = 0;
        out[d] = (in[d] - extent) / st[d] + 1;
      } else if (auto_pad_ != "NOTSET") {
        out[d] = (in[d] + st[d] - 1) / st[d];
        const int64_t total = std::max<int64_t>(0, (out[d] - 1) * st[d] + extent - in[d]);
        pb[d] = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
      } else {
        const int64_t span = in[d] + pb[d] + pe - extent;
        out[d] = (ceil_mode_ ? (span + st[d] - 1) / st[d] : span / st[d]) + 1;
        if (ceil_mode_ && (out[d] - 1) * st[d] >= in[d] + pb[d])
          --out[d];  // window must start inside
      }
      if (out[d] < 0) out[d] = 0;
      out_shape.push_back(out[d]);
    }
    Value& y = ctx.allocate_output(0, x.type, out_shape);
    int64_t* indices =
        is_max && ctx.output_count() > 1 && ctx.output_wanted(1)
            ? ctx.allocate_output(1, ElemType::kInt64, out_shape).mutable_data<int64_t>()
            : nullptr;
    int64_t in_size = 1, out_size = 1, kernel_size = 1;
    for (int d = 0; d < s; ++d) {
      in_size *= in[d];
      out_size *= out[d];
      kernel_size *= k[d];
    }
    const int64_t planes = x.shape[0] * x.shape[1];
    auto run = [&](auto tag) {
      using T = decltype(tag);
      const T* px = x.data<T>();
      T* py = y.mutable_data<T>();
      ctx.pool().parallel_for(planes, [&](int64_t begin, int64_t end, int) {
        for (int64_t p = begin; p < end; ++p) {
          const T* plane = px + p * in_size;
          for (int64_t o = 0; o < out_size; ++o) {
            int64_t oc[kMaxSpatial];
            for (int64_t rem = o, d = s - 1; d >= 0; --d) {
              oc[d] = rem % out[d];
              rem /= out[d];
            }
            double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
            int64_t best = -1, count = 0;
            for (int64_t kidx = 0; kidx < kernel_size; ++kidx) {
              int64_t offset = 0, stride = 1, col_major = 0, col_stride = 1;
              bool inside = true, in_padded = true;
              for (int64_t rem = kidx, d = s - 1; d >= 0; --d) {
                const int64_t kc = rem % k[d];
                rem /= k[d];
                const int64_t i = oc[d] * st[d] - pb[d] + kc * dil[d];
                if (i < 0 || i >= in[d]) inside = false;
                // Padded extent for count_include_pad: within [-pad_begin, in + pad_end).
                const int64_t pe = pads_.empty() ? 0 : pads_[s + d];
                if (i < -pb[d] || i >= in[d] + (auto_pad_ == "NOTSET" ? pe : 0)) in_padded = false;
                offset += i * stride;
                stride *= in[d];
              }
              if (storage_order_ == 1 && inside) {  // column-major flat index of the input
                int64_t rem = offset;
                int64_t coords[kMaxSpatial];
                for (int d = s - 1; d >= 0; --d) {
                  coords[d] = rem % in[d];
                  rem /= in[d];
                }
                for (int d = 0; d < s; ++d) {
                  col_major += coords[d] * col_stride;
                  col_stride *= in[d];
                }
              }
              if (!inside) {
                if (!is_max && count_include_pad_ && in_padded) ++count;
                continue;
              }
              const double v = static_cast<double>(plane[offset]);
              if constexpr (is_max) {
                if (v > acc || best < 0) {
                  acc = v;
                  best = storage_order_ == 1 ? col_major : offset;
                }
              } else {
                acc += v;
                ++count;
              }
            }
            if constexpr (is_max) {
              py[p * out_size + o] = static_cast<T>(acc);
              if (indices != nullptr) indices[p * out_size + o] = p * in_size + best;
            } else {
              py[p * out_size + o] =
                  static_cast<T>(count > 0 ? acc / static_cast<double>(count) : 0.0);
            }
          }
        }
      });
    };
    if (x.type == ElemType::kFloat)
      run(float{});
    else
      run(uint8_t{});
  }

 private:
  std::string auto_pad_;
  bool ceil_mode_, count_include_pad_;
  int64_t storage_order_;
  std::vector<int64_t> kernel_, strides_, dilations_, pads_;
};

template <bool is_max>
class GlobalPool final : public OpKernel {
 public:
  explicit GlobalPool(const NodeInfo&) {}
  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    if (x.type != ElemType::kFloat || x.shape.rank() < 3)
      ctx.fail("X must be float of rank >= 3, got " + x.describe());
    Shape out_shape = x.shape;
    for (int d = 2; d < x.shape.rank(); ++d) out_shape[d] = 1;
    Value& y = ctx.allocate_output(0, ElemType::kFloat, out_shape);
    const int64_t planes = x.shape[0] * x.shape[1], n = x.shape.count(2, x.shape.rank());
    const float* px = x.data<float>();
    float* py = y.mutable_data<float>();
    for (int64_t p = 0; p < planes; ++p) {
      double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
      for (int64_t i = 0; i < n; ++i)
        acc = is_max ? std::max(acc, static_cast<double>(px[p * n + i])) : acc + px[p * n + i];
      py[p] = static_cast<float>(is_max ? acc : acc / static_cast<double>(n));
    }
  }
};

}  // namespace

void register_pool_ops(OpRegistry& registry) {
  registry.add<Pool<true>>(kOnnxDomain, "MaxPool", 1, kLatestOpset);
  registry.add<Pool<false>>(kOnnxDomain, "AveragePool", 1, kLatestOpset);
  registry.add<GlobalPool<false>>(kOnnxDomain, "GlobalAveragePool", 1, kLatestOpset);
  registry.add<GlobalPool<true>>(kOnnxDomain, "GlobalMaxPool", 1, kLatestOpset);
}

}  // namespace parley::onnx
