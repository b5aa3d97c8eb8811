// Convolutions over 1, 2 or 3 spatial dims: Conv and ConvTranspose (float), with groups,
// strides, dilations, explicit pads and auto_pad.
//
// Conv lowers each (image, group) to one GEMM: an im2col matrix [C/g * prod(kernel), out_spatial]
// built in scratch memory (skipped for 1x1 kernels with unit stride and no padding, where the
// input already is that matrix), multiplied by the weights [M/g, C/g * prod(kernel)].
// ConvTranspose is the adjoint: one GEMM Wᵀ·X into a column matrix, then col2im accumulates the
// columns into the output. Layout NCHW as ONNX defines; bias added per output channel.
//
// Special cases: depthwise 1-D and 2-D convolutions (one input and one output channel per group,
// as in Zipformer's convolution modules) run a direct loop per channel; convolutions with constant
// weights and few output positions (streaming chunks) multiply by weights packed at load
// (packed_gemm.h) instead of calling BLAS per group; 1-D convolutions with constant weights, unit
// stride and long outputs (vocoders) run the direct kernel of conv1d_direct.h on a zero-padded
// copy of the input, with no column matrix.
#include <cstdlib>
#include <optional>
#include <string>

#include "kernels/gemm.h"
#include "kernels/kernel_table.h"
#include "kernels/onnx/conv1d_direct.h"
#include "kernels/onnx/ops_util.h"
#include "kernels/onnx/packed_gemm.h"

namespace parley::onnx {
namespace {
using namespace ops;  // NOLINT: the op-family helpers of ops_util.h

constexpr int kMaxSpatial = 3;
// Convolutions with at most this many output positions per image use dot products, not GEMM.
constexpr int64_t kSmallOutput = 16;
// With constant weights, up to this many output positions use the packed-weight product.
constexpr int64_t kPackedOutput = 64;

struct ConvGeometry {
  int spatial = 0;
  int64_t kernel[kMaxSpatial] = {}, stride[kMaxSpatial] = {}, dilation[kMaxSpatial] = {};
  int64_t pad_begin[kMaxSpatial] = {}, pad_end[kMaxSpatial] = {};
  int64_t in[kMaxSpatial] = {}, out[kMaxSpatial] = {};
  int64_t kernel_size() const { return product(kernel); }
  int64_t in_size() const { return product(in); }
  int64_t out_size() const { return product(out); }
  int64_t product(const int64_t* v) const {
    int64_t p = 1;
    for (int d = 0; d < spatial; ++d) p *= v[d];
    return p;
  }
};

// Attributes common to Conv and ConvTranspose.
struct ConvAttributes {
  explicit ConvAttributes(const NodeInfo& node)
      : auto_pad(node.attr_string("auto_pad", "NOTSET")),
        group(node.attr_int("group", 1)),
        kernel_shape(node.attr_ints("kernel_shape")),
        strides(node.attr_ints("strides")),
        dilations(node.attr_ints("dilations")),
        pads(node.attr_ints("pads")) {
    if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
        auto_pad != "VALID") {
      node.fail("unsupported auto_pad '" + auto_pad + "'");
    }
    if (group < 1) node.fail("group must be >= 1");
  }

  // Fills kernel/stride/dilation/explicit pads for `spatial` dims; fails on bad lengths.
  void fill(const OpContext& ctx, int spatial, const Value& w, ConvGeometry& g) const {
    if (spatial < 1 || spatial > kMaxSpatial)
      ctx.fail("only 1-D to 3-D convolutions are supported");
    auto check = [&](const std::vector<int64_t>& v, size_t n, const char* name) {
      if (!v.empty() && v.size() != n) ctx.fail(std::string(name) + " has the wrong length");
    };
    check(kernel_shape, static_cast<size_t>(spatial), "kernel_shape");
    check(strides, static_cast<size_t>(spatial), "strides");
    check(dilations, static_cast<size_t>(spatial), "dilations");
    check(pads, static_cast<size_t>(2 * spatial), "pads");
    g.spatial = spatial;
    for (int d = 0; d < spatial; ++d) {
      g.kernel[d] = kernel_shape.empty() ? w.shape[2 + d] : kernel_shape[d];
      if (g.kernel[d] != w.shape[2 + d]) ctx.fail("kernel_shape differs from the weight shape");
      g.stride[d] = strides.empty() ? 1 : strides[d];
      g.dilation[d] = dilations.empty() ? 1 : dilations[d];
      g.pad_begin[d] = pads.empty() ? 0 : pads[d];
      g.pad_end[d] = pads.empty() ? 0 : pads[spatial + d];
      if (g.stride[d] < 1 || g.dilation[d] < 1 || g.pad_begin[d] < 0 || g.pad_end[d] < 0) {
        ctx.fail("strides and dilations must be >= 1 and pads >= 0");
      }
    }
  }

  std::string auto_pad;
  int64_t group;
  std::vector<int64_t> kernel_shape, strides, dilations, pads;
};

// col[(c * K + kidx) * out_size + o] = x[c, in(o, kidx)] or 0 outside the input, for c in
// [c_begin, c_end) of one image/group. Rows run along the innermost spatial dim.
void im2col(const float* x, const ConvGeometry& g, int64_t c_begin, int64_t c_end, float* col) {
  const int s = g.spatial;
  const int64_t K = g.kernel_size(), out_size = g.out_size(), in_size = g.in_size();
  const int64_t out_row = g.out[s - 1], rows = out_size / out_row;
  for (int64_t c = c_begin; c < c_end; ++c) {
    const float* xc = x + c * in_size;
    for (int64_t kidx = 0; kidx < K; ++kidx) {
      int64_t kc[kMaxSpatial];
      for (int64_t rem = kidx, d = s - 1; d >= 0; --d) {
        kc[d] = rem % g.kernel[d];
        rem /= g.kernel[d];
      }
      float* dst = col + (c * K + kidx) * out_size;
      for (int64_t r = 0; r < rows; ++r) {
        // Outer output coords -> input row offset (or out of range).
        int64_t in_offset = 0, in_stride = 1;
        bool inside = true;
        for (int64_t rem = r, d = s - 2; d >= 0; --d) {
          in_stride *= g.in[d + 1];
          const int64_t o = rem % g.out[d];
          rem /= g.out[d];
          const int64_t i = o * g.stride[d] - g.pad_begin[d] + kc[d] * g.dilation[d];
          if (i < 0 || i >= g.in[d]) inside = false;
          in_offset += i * in_stride;
        }
        float* out = dst + r * out_row;
        if (!inside) {
          std::fill(out, out + out_row, 0.0f);
          continue;
        }
        const float* src = xc + in_offset;
        const int64_t st = g.stride[s - 1], in_row = g.in[s - 1];
        const int64_t base = kc[s - 1] * g.dilation[s - 1] - g.pad_begin[s - 1];
        // Input index o * st + base lies inside [0, in_row) for o in [o_begin, o_end).
        const int64_t o_begin = std::min(out_row, base >= 0 ? int64_t{0} : (-base + st - 1) / st);
        const int64_t o_end = std::max(
            o_begin,
            std::min(out_row, in_row - base <= 0 ? int64_t{0} : (in_row - base + st - 1) / st));
        std::fill(out, out + o_begin, 0.0f);
        if (st == 1) {
          std::memcpy(out + o_begin, src + o_begin + base,
                      static_cast<size_t>(o_end - o_begin) * sizeof(float));
        } else {
          for (int64_t o = o_begin; o < o_end; ++o) out[o] = src[o * st + base];
        }
        std::fill(out + o_end, out + out_row, 0.0f);
      }
    }
  }
}

// 1-D im2col of output columns [o_begin, o_end): col[(c * K + k) * width + (o - o_begin)] with
// width = o_end - o_begin, for channels [c_begin, c_end). With `leaky`, the copied inputs go
// through LeakyRelu(*leaky) (a fused producer; padding stays zero, as LeakyRelu(0) is).
void im2col_1d(const float* x, const ConvGeometry& g, int64_t c_begin, int64_t c_end,
               int64_t o_begin, int64_t o_end, float* col, const float* leaky = nullptr) {
  const int64_t K = g.kernel[0], in = g.in[0], st = g.stride[0], width = o_end - o_begin;
  for (int64_t c = c_begin; c < c_end; ++c) {
    const float* xc = x + c * in;
    for (int64_t k = 0; k < K; ++k) {
      float* out = col + (c * K + k) * width - o_begin;  // indexed by absolute o
      const int64_t base = k * g.dilation[0] - g.pad_begin[0];
      // o * st + base inside [0, in) for o in [lo, hi), clipped to the chunk.
      const int64_t lo = std::clamp<int64_t>(base >= 0 ? 0 : (-base + st - 1) / st, o_begin, o_end);
      const int64_t hi = std::clamp<int64_t>(in - base <= 0 ? 0 : (in - base + st - 1) / st, lo,
                                             o_end);
      std::fill(out + o_begin, out + lo, 0.0f);
      if (leaky != nullptr && st == 1) {
        const float alpha = *leaky;
        const float* src = xc + base;
        for (int64_t o = lo; o < hi; ++o) out[o] = leaky_relu(src[o], alpha);
      } else if (leaky != nullptr) {
        const float alpha = *leaky;
        for (int64_t o = lo; o < hi; ++o) {
          const float v = xc[o * st + base];
          out[o] = leaky_relu(v, alpha);
        }
      } else if (st == 1) {
        std::memcpy(out + lo, xc + lo + base, static_cast<size_t>(hi - lo) * sizeof(float));
      } else {
        for (int64_t o = lo; o < hi; ++o) out[o] = xc[o * st + base];
      }
      std::fill(out + hi, out + o_end, 0.0f);
    }
  }
}

// dst [cols, rows] = src [rows, cols]ᵀ; returns dst.
const float* transpose_weights(const float* src, int64_t rows, int64_t cols, float* dst) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
  }
  return dst;
}

// row[0, pad) = 0, row[pad, pad + n) = src (through LeakyRelu(*leaky) if set), then zeros up
// to width. Written so the compiler vectorizes both copies.
void pad_row(const float* __restrict src, int64_t n, int64_t pad, int64_t width,
             const std::optional<float>& leaky, float* __restrict row) {
  std::fill(row, row + pad, 0.0f);
  float* __restrict dst = row + pad;
  if (leaky.has_value()) {
    const float alpha = *leaky;
    for (int64_t i = 0; i < n; ++i) {
      dst[i] = leaky_relu(src[i], alpha);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  }
  std::fill(row + pad + n, row + width, 0.0f);
}

class Conv final : public OpKernel {
 public:
  explicit Conv(const NodeInfo& node) : attrs_(node), leaky_(node.fused_input_leaky_relu()) {
    // Constant weights are packed once per group: as panels for the few-output product, and
    // for 1-D convolutions with unit stride also for the direct long-signal kernel. Depthwise
    // convolutions (their own loop) keep a transposed copy only for the dot-product path.
    const Value* w = node.constant_input(1);
    if (w != nullptr && w->type == ElemType::kFloat && w->shape.rank() >= 3 &&
        w->shape[0] % attrs_.group == 0) {
      const int64_t mg = w->shape[0] / attrs_.group, rows = w->element_count() / w->shape[0];
      const float* pw = w->data<float>();
      if (w->shape[1] == 1 && mg == 1) {
        packed_.resize(static_cast<size_t>(w->element_count()));
        for (int64_t grp = 0; grp < attrs_.group; ++grp) {
          transpose_weights(pw + grp * mg * rows, mg, rows, packed_.data() + grp * rows * mg);
        }
      } else {
        panels_.resize(static_cast<size_t>(attrs_.group));
        for (int64_t grp = 0; grp < attrs_.group; ++grp) {
          panels_[grp].pack(pw + grp * mg * rows, rows, mg, /*transposed=*/true);
        }
        // PARLEY_ONNX_NO_DIRECT_CONV=1 keeps the im2col + GEMM path (A/B benchmarks).
        static const bool no_direct = std::getenv("PARLEY_ONNX_NO_DIRECT_CONV") != nullptr;
        const bool unit_stride = attrs_.strides.empty() ||
                                 (attrs_.strides.size() == 1 && attrs_.strides[0] == 1);
        if (w->shape.rank() == 3 && unit_stride && !no_direct) {
          direct_.resize(static_cast<size_t>(attrs_.group));
          for (int64_t grp = 0; grp < attrs_.group; ++grp) {
            direct_[grp].pack(pw + grp * mg * rows, mg, w->shape[1], w->shape[2]);
          }
        }
      }
    }
  }

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& w = ctx.input(1);
    const Value* bias = ctx.input_or_null(2);
    if (x.type != ElemType::kFloat || w.type != ElemType::kFloat) ctx.fail("inputs must be float");
    const int rank = x.shape.rank();
    if (rank < 3 || w.shape.rank() != rank) {
      ctx.fail("X and W must have the same rank >= 3: " + x.describe() + ", " + w.describe());
    }
    ConvGeometry g;
    attrs_.fill(ctx, rank - 2, w, g);
    const int64_t batch = x.shape[0], channels = x.shape[1], maps = w.shape[0];
    const int64_t groups = attrs_.group;
    if (channels != w.shape[1] * groups || maps % groups != 0) {
      ctx.fail("channel counts do not match the group count: " + x.describe() + ", " +
               w.describe());
    }
    if (bias != nullptr && (bias->type != ElemType::kFloat || bias->element_count() != maps)) {
      ctx.fail("B must be float [" + std::to_string(maps) + "]");
    }
    Shape out_shape{batch, maps};
    for (int d = 0; d < g.spatial; ++d) {
      g.in[d] = x.shape[2 + d];
      const int64_t extent = (g.kernel[d] - 1) * g.dilation[d] + 1;
      if (attrs_.auto_pad == "VALID") {
        g.pad_begin[d] = g.pad_end[d] = 0;
      } else if (attrs_.auto_pad != "NOTSET") {
        const int64_t out = (g.in[d] + g.stride[d] - 1) / g.stride[d];
        const int64_t total = std::max<int64_t>(0, (out - 1) * g.stride[d] + extent - g.in[d]);
        g.pad_begin[d] = attrs_.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        g.pad_end[d] = total - g.pad_begin[d];
      }
      const int64_t padded = g.in[d] + g.pad_begin[d] + g.pad_end[d];
      g.out[d] = padded < extent ? 0 : (padded - extent) / g.stride[d] + 1;
      out_shape.push_back(g.out[d]);
    }
    Value& y = ctx.allocate_output(0, ElemType::kFloat, out_shape);
    if (y.element_count() == 0) return;
    const int64_t cg = channels / groups, mg = maps / groups;
    const int64_t K = g.kernel_size(), out_size = g.out_size(), in_size = g.in_size();
    bool direct = true;  // the input already is the column matrix
    for (int d = 0; d < g.spatial; ++d) {
      direct = direct && g.kernel[d] == 1 && g.stride[d] == 1 && g.pad_begin[d] == 0 &&
               g.pad_end[d] == 0;
    }
    const bool packed = !panels_.empty() && panels_[0].k() == cg * K && panels_[0].n() == mg;
    if (g.spatial == 1 && g.stride[0] == 1 && out_size > kPackedOutput && !direct_.empty() &&
        direct_[0].channels() == cg && direct_[0].kernel() == K && direct_[0].maps() == mg) {
      run_direct_1d(ctx, g, batch, channels, maps, x.data<float>(), y.mutable_data<float>(),
                    bias != nullptr ? bias->data<float>() : nullptr);
      return;
    }
    // Large 1-D convolutions build their column matrix in chunks of output positions that stay
    // in cache (Piper's decoder: 512 channels x 11 taps x 60k samples would be 1.3 GB at once).
    const int64_t chunk_target = (1 << 19) / std::max<int64_t>(1, cg * K) / 64 * 64;
    const int64_t chunk = g.spatial == 1 && !direct && out_size > kPackedOutput
                              ? std::clamp<int64_t>(chunk_target, 256, out_size)
                              : out_size;
    float* col = direct ? nullptr : ctx.scratch<float>(static_cast<size_t>(cg * K * chunk));
    const float* px = x.data<float>();
    // A fused LeakyRelu producer: the chunked 1-D path applies it while building columns; every
    // other path reads an activated copy of X.
    const bool leaky_in_im2col = leaky_.has_value() && chunk < out_size;
    if (leaky_.has_value() && !leaky_in_im2col) {
      float* activated = ctx.scratch<float>(static_cast<size_t>(x.element_count()));
      const float alpha = *leaky_;
      ctx.pool().parallel_for(
          x.element_count(),
          [&](int64_t begin, int64_t end, int) {
            for (int64_t i = begin; i < end; ++i) {
              activated[i] = leaky_relu(px[i], alpha);
            }
          },
          16384);
      px = activated;
    }
    const float* pw = w.data<float>();
    float* py = y.mutable_data<float>();
    const float* pb = bias != nullptr ? bias->data<float>() : nullptr;
    if (g.spatial <= 2 && cg == 1 && mg == 1 && groups > 1) {
      depthwise(ctx, g, batch * maps, maps, px, pw, pb, py);
      return;
    }
    if (out_size <= kPackedOutput && packed) {
      // Yᵀ_g [out, mg] = colᵀ [out, cg*K] · Wᵀ_g: both transposes are strided views.
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t grp = 0; grp < groups; ++grp) {
          const float* xg = px + (n * channels + grp * cg) * in_size;
          const float* src = xg;
          if (!direct) {
            im2col(xg, g, 0, cg, col);
            src = col;
          }
          packed_gemm({src, 1, out_size}, out_size, panels_[grp],
                      {py + (n * maps + grp * mg) * out_size, 1, out_size},
                      pb != nullptr ? pb + grp * mg : nullptr, false, &ctx.pool());
        }
      }
      return;
    }
    if (out_size <= kSmallOutput) {
      // Few output positions (streaming models, e.g. Silero's 4-frame chunks): a GEMM would spend
      // its time packing the weights. Instead, for each position, accumulate the rows of the
      // transposed weights Wᵀ [cg*K, mg] scaled by that position's column entries (axpy over the
      // maps). Each output is summed over k in order, as BLAS/MLAS kernels do, which keeps
      // order-sensitive graphs (a log of an STFT magnitude) close to ONNX Runtime.
      const kernels::KernelTable& kt = kernels::kernels();
      const int64_t rows = cg * K;
      float* yt = ctx.scratch<float>(static_cast<size_t>(out_size * mg));
      float* wt_scratch =
          packed_.empty() ? ctx.scratch<float>(static_cast<size_t>(rows * mg)) : nullptr;
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t grp = 0; grp < groups; ++grp) {
          const float* xg = px + (n * channels + grp * cg) * in_size;
          const float* src = xg;
          if (!direct) {
            im2col(xg, g, 0, cg, col);
            src = col;
          }
          const float* wt = packed_.empty()
                                ? transpose_weights(pw + grp * mg * rows, mg, rows, wt_scratch)
                                : packed_.data() + grp * rows * mg;
          std::fill(yt, yt + out_size * mg, 0.0f);
          for (int64_t r = 0; r < rows; ++r) {  // each Wᵀ row is used for every position
            for (int64_t o = 0; o < out_size; ++o)
              kt.axpy(mg, src[r * out_size + o], wt + r * mg, yt + o * mg);
          }
          float* yg = py + (n * maps + grp * mg) * out_size;
          for (int64_t m = 0; m < mg; ++m) {
            for (int64_t o = 0; o < out_size; ++o) yg[m * out_size + o] = yt[o * mg + m];
          }
        }
      }
    }
    for (int64_t n = 0; n < batch && out_size > kSmallOutput; ++n) {
      for (int64_t grp = 0; grp < groups; ++grp) {
        const float* xg = px + (n * channels + grp * cg) * in_size;
        const float* b_matrix = xg;
        if (chunk < out_size) {
          for (int64_t o0 = 0; o0 < out_size; o0 += chunk) {
            const int64_t o1 = std::min(out_size, o0 + chunk);
            ctx.pool().parallel_for(
                cg,
                [&](int64_t begin, int64_t end, int) {
                  im2col_1d(xg, g, begin, end, o0, o1, col,
                            leaky_in_im2col ? &*leaky_ : nullptr);
                },
                std::max<int64_t>(1, 16384 / std::max<int64_t>(1, K * (o1 - o0))));
            kernels::gemm_f32(kernels::Transpose::No, kernels::Transpose::No, mg, o1 - o0, cg * K,
                              1.0f, pw + grp * mg * cg * K, cg * K, col, o1 - o0, 0.0f,
                              py + (n * maps + grp * mg) * out_size + o0, out_size);
          }
          continue;
        }
        if (!direct) {
          ctx.pool().parallel_for(
              cg, [&](int64_t begin, int64_t end, int) { im2col(xg, g, begin, end, col); },
              std::max<int64_t>(1, 16384 / std::max<int64_t>(1, K * out_size)));
          b_matrix = col;
        }
        kernels::gemm_f32(kernels::Transpose::No, kernels::Transpose::No, mg, out_size, cg * K,
                          1.0f, pw + grp * mg * cg * K, cg * K, b_matrix, out_size, 0.0f,
                          py + (n * maps + grp * mg) * out_size, out_size);
      }
    }
    if (bias != nullptr) {
      ctx.pool().parallel_for(
          batch * maps,
          [&](int64_t begin, int64_t end, int) {
            for (int64_t r = begin; r < end; ++r) {
              float* row = py + r * out_size;
              const float b = pb[r % maps];
              for (int64_t i = 0; i < out_size; ++i) row[i] += b;
            }
          },
          std::max<int64_t>(1, 16384 / out_size));
    }
  }

 private:
  // Largest padded plane the unit-stride depthwise path keeps on the stack (16 KiB).
  static constexpr int64_t kDepthwisePlane = 4096;

  // y[oh, ow] = bias + sum over kh, then kw, of w[kh, kw] * xp[(oh + kh * dil_h) * width + ow +
  // kw * dil] (xp padded, no bounds checks), for oh < out_h, ow < out_w.
  static void depthwise_plane(const float* __restrict xp, int64_t width,
                              const float* __restrict w, int64_t k_h, int64_t k_w, int64_t dil_h,
                              int64_t dil, float bias, int64_t out_h, int64_t out_w,
                              float* __restrict y) {
    for (int64_t oh = 0; oh < out_h; ++oh) {
      float* __restrict yrow = y + oh * out_w;
      for (int64_t o = 0; o < out_w; ++o) yrow[o] = 0.0f;
      for (int64_t kh = 0; kh < k_h; ++kh) {
        const float* xrow = xp + (oh + kh * dil_h) * width;
        for (int64_t kw = 0; kw < k_w; ++kw) {
          const float wk = w[kh * k_w + kw];
          const float* __restrict xs = xrow + kw * dil;
          for (int64_t o = 0; o < out_w; ++o) yrow[o] += wk * xs[o];
        }
      }
      for (int64_t o = 0; o < out_w; ++o) yrow[o] += bias;
    }
  }

  // Depthwise 1-D or 2-D convolution: one input and one output channel per group. Each row r of
  // the [batch * maps, spatial] input is convolved with its own kernel w[r % maps]:
  // y[r, oh, ow] = sum_{kh, kw} w[kh, kw] * x[r, ih, iw] + bias (zero outside the input).
  static void depthwise(OpContext& ctx, const ConvGeometry& g, int64_t rows, int64_t maps,
                        const float* px, const float* pw, const float* pb, float* py) {
    const bool two_d = g.spatial == 2;
    const int64_t in_h = two_d ? g.in[0] : 1, out_h = two_d ? g.out[0] : 1;
    const int64_t k_h = two_d ? g.kernel[0] : 1, st_h = two_d ? g.stride[0] : 1;
    const int64_t dil_h = two_d ? g.dilation[0] : 1, pad_h = two_d ? g.pad_begin[0] : 0;
    const int s = g.spatial - 1;  // the innermost spatial axis
    const int64_t in_w = g.in[s], out_w = g.out[s], k_w = g.kernel[s];
    const int64_t st = g.stride[s], dil = g.dilation[s], pad = g.pad_begin[s];
    const int64_t in_size = in_h * in_w, out_size = out_h * out_w, kernel = k_h * k_w;
    const int64_t width = in_w + pad + g.pad_end[s];  // a padded input row
    const int64_t height = two_d ? in_h + pad_h + g.pad_end[0] : 1;
    if (st == 1 && st_h == 1 && height * width <= kDepthwisePlane) {
      // Unit strides (Zipformer's convolution modules on streaming chunks, its ConvNeXt): each
      // channel's plane is copied into a zero-padded stack buffer, then every output row sums
      // w[kh, kw] * xp[oh + kh * dil_h, ow + kw * dil] without bounds checks, vectorized over ow.
      ctx.pool().parallel_for(
          rows,
          [&](int64_t begin, int64_t end, int) {
            alignas(64) float xp[kDepthwisePlane];
            for (int64_t r = begin; r < end; ++r) {
              const float* x = px + r * in_size;
              std::fill(xp, xp + pad_h * width, 0.0f);
              for (int64_t ih = 0; ih < in_h; ++ih) {
                pad_row(x + ih * in_w, in_w, pad, width, std::nullopt, xp + (pad_h + ih) * width);
              }
              std::fill(xp + (pad_h + in_h) * width, xp + height * width, 0.0f);
              depthwise_plane(xp, width, pw + (r % maps) * kernel, k_h, k_w, dil_h, dil,
                              pb != nullptr ? pb[r % maps] : 0.0f, out_h, out_w,
                              py + r * out_size);
            }
          },
          std::max<int64_t>(1, 8192 / std::max<int64_t>(1, out_size * kernel)));
      return;
    }
    ctx.pool().parallel_for(
        rows,
        [&](int64_t begin, int64_t end, int) {
          for (int64_t r = begin; r < end; ++r) {
            const float* x = px + r * in_size;
            const float* w = pw + (r % maps) * kernel;
            float* y = py + r * out_size;
            std::fill(y, y + out_size, 0.0f);
            for (int64_t oh = 0; oh < out_h; ++oh) {
              float* yrow = y + oh * out_w;
              for (int64_t kh = 0; kh < k_h; ++kh) {
                const int64_t ih = oh * st_h + kh * dil_h - pad_h;
                if (ih < 0 || ih >= in_h) continue;
                const float* xrow = x + ih * in_w;
                for (int64_t kw = 0; kw < k_w; ++kw) {
                  const int64_t off = kw * dil - pad;  // input index of output 0
                  // Outputs o whose input o * st + off lies in [0, in_w).
                  const int64_t o_begin = off >= 0 ? 0 : std::min(out_w, (-off + st - 1) / st);
                  const int64_t o_end =
                      in_w - off <= 0 ? 0 : std::min(out_w, (in_w - off + st - 1) / st);
                  const float wk = w[kh * k_w + kw];
                  if (st == 1) {
                    const float* xs = xrow + off;
                    for (int64_t o = o_begin; o < o_end; ++o) yrow[o] += wk * xs[o];
                  } else {
                    for (int64_t o = o_begin; o < o_end; ++o) yrow[o] += wk * xrow[o * st + off];
                  }
                }
              }
            }
            if (pb != nullptr) {
              const float b = pb[r % maps];
              for (int64_t o = 0; o < out_size; ++o) y[o] += b;
            }
          }
        },
        std::max<int64_t>(1, 8192 / std::max<int64_t>(1, out_size * kernel)));
  }

  // 1-D, unit stride, constant weights, long output: convolved directly (conv1d_direct.h), with
  // no im2col matrix. The input is read in place when it needs no padding and no activation;
  // otherwise each group's channels are copied once into a zero-padded buffer, through the fused
  // LeakyRelu if any.
  void run_direct_1d(OpContext& ctx, const ConvGeometry& g, int64_t batch, int64_t channels,
                     int64_t maps, const float* px, float* py, const float* pb) const {
    const int64_t groups = attrs_.group, cg = channels / groups, mg = maps / groups;
    const int64_t in = g.in[0], out = g.out[0], pad = g.pad_begin[0];
    const int64_t width = in + pad + g.pad_end[0];  // = out + (K - 1) * dilation
    const bool in_place = width == in && !leaky_.has_value();
    float* xp = in_place ? nullptr : ctx.scratch<float>(static_cast<size_t>(cg * width));
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t grp = 0; grp < groups; ++grp) {
        const float* xg = px + (n * channels + grp * cg) * in;
        if (!in_place) {
          ctx.pool().parallel_for(
              cg,
              [&](int64_t begin, int64_t end, int) {
                for (int64_t c = begin; c < end; ++c) {
                  pad_row(xg + c * in, in, pad, width, leaky_, xp + c * width);
                }
              },
              std::max<int64_t>(1, 65536 / std::max<int64_t>(1, width)));
        }
        conv1d_direct(direct_[grp],
                      {in_place ? xg : xp, width, g.dilation[0], out,
                       py + (n * maps + grp * mg) * out, out,
                       pb != nullptr ? pb + grp * mg : nullptr},
                      &ctx.pool());
      }
    }
  }

  ConvAttributes attrs_;
  std::vector<PackedConvWeights> direct_;  // constant W per group for conv1d_direct, or empty
  std::vector<float> packed_;  // constant depthwise W as [group][K][1], or empty
  std::vector<PackedMatrix> panels_;  // constant Wᵀ per group for packed_gemm, or empty
  std::optional<float> leaky_;         // alpha of a fused LeakyRelu on X (graph_builder.cc)
};

class ConvTranspose final : public OpKernel {
 public:
  explicit ConvTranspose(const NodeInfo& node)
      : attrs_(node),
        output_padding_(node.attr_ints("output_padding")),
        output_shape_(node.attr_ints("output_shape")) {}

  void compute(OpContext& ctx) const override {
    const Value& x = ctx.input(0);
    const Value& w = ctx.input(1);
    const Value* bias = ctx.input_or_null(2);
    if (x.type != ElemType::kFloat || w.type != ElemType::kFloat) ctx.fail("inputs must be float");
    const int rank = x.shape.rank();
    if (rank < 3 || w.shape.rank() != rank) {
      ctx.fail("X and W must have the same rank >= 3: " + x.describe() + ", " + w.describe());
    }
    ConvGeometry g;
    attrs_.fill(ctx, rank - 2, w, g);
    const int s = g.spatial;
    const int64_t batch = x.shape[0], channels = x.shape[1], groups = attrs_.group;
    const int64_t mg = w.shape[1], maps = mg * groups;
    if (w.shape[0] != channels || channels % groups != 0) {
      ctx.fail("W's first dim must equal the input channels: " + x.describe() + ", " +
               w.describe());
    }
    if (bias != nullptr && (bias->type != ElemType::kFloat || bias->element_count() != maps)) {
      ctx.fail("B must be float [" + std::to_string(maps) + "]");
    }
    if ((!output_padding_.empty() && static_cast<int>(output_padding_.size()) != s) ||
        (!output_shape_.empty() && static_cast<int>(output_shape_.size()) != s &&
         static_cast<int>(output_shape_.size()) != rank)) {
      ctx.fail("output_padding / output_shape have the wrong length");
    }
    Shape out_shape{batch, maps};
    for (int d = 0; d < s; ++d) {
      g.in[d] = x.shape[2 + d];
      const int64_t extent = (g.kernel[d] - 1) * g.dilation[d] + 1;
      const int64_t opad = output_padding_.empty() ? 0 : output_padding_[d];
      const int64_t full = g.stride[d] * (g.in[d] - 1) + opad + extent;
      int64_t target = -1;
      if (!output_shape_.empty()) {
        target = output_shape_[output_shape_.size() == static_cast<size_t>(s) ? d : d + 2];
      } else if (attrs_.auto_pad == "SAME_UPPER" || attrs_.auto_pad == "SAME_LOWER") {
        target = g.in[d] * g.stride[d];
      }
      if (target >= 0) {
        const int64_t total = std::max<int64_t>(0, full - target);
        const bool upper = attrs_.auto_pad != "SAME_LOWER";
        g.pad_begin[d] = upper ? total / 2 : total - total / 2;
        g.pad_end[d] = total - g.pad_begin[d];
        g.out[d] = target;
      } else {
        if (attrs_.auto_pad == "VALID") g.pad_begin[d] = g.pad_end[d] = 0;
        g.out[d] = full - g.pad_begin[d] - g.pad_end[d];
      }
      if (g.out[d] < 0) ctx.fail("pads exceed the output size");
      out_shape.push_back(g.out[d]);
    }
    Value& y = ctx.allocate_output(0, ElemType::kFloat, out_shape);
    float* py = y.mutable_data<float>();
    const int64_t out_size = g.out_size(), in_size = g.in_size(), K = g.kernel_size();
    const int64_t cg = channels / groups;
    for (int64_t r = 0; r < batch * maps; ++r) {
      const float b = bias != nullptr ? bias->data<float>()[r % maps] : 0.0f;
      std::fill(py + r * out_size, py + (r + 1) * out_size, b);
    }
    if (y.element_count() == 0 || in_size == 0) return;
    // 1-D: input positions in chunks whose column matrix (~1 MiB) stays in cache between the
    // GEMM that writes it and the col2im that reads it (Piper's upsampling layers).
    const int64_t chunk = s == 1 ? std::clamp<int64_t>((1 << 18) / std::max<int64_t>(1, mg * K),
                                                       64, in_size)
                                 : in_size;
    float* col = ctx.scratch<float>(static_cast<size_t>(mg * K * chunk));
    const float* px = x.data<float>();
    const float* pw = w.data<float>();
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t grp = 0; grp < groups; ++grp) {
        if (chunk < in_size) {
          float* yg = py + (n * maps + grp * mg) * out_size;
          for (int64_t i0 = 0; i0 < in_size; i0 += chunk) {
            const int64_t i1 = std::min(in_size, i0 + chunk), width = i1 - i0;
            kernels::gemm_f32(kernels::Transpose::Yes, kernels::Transpose::No, mg * K, width, cg,
                              1.0f, pw + grp * cg * mg * K, mg * K,
                              px + (n * channels + grp * cg) * in_size + i0, in_size, 0.0f, col,
                              width);
            ctx.pool().parallel_for(mg, [&](int64_t begin, int64_t end, int) {
              for (int64_t m = begin; m < end; ++m) {
                col2im_1d(col + m * K * width, g, i0, i1, yg + m * out_size);
              }
            });
          }
          continue;
        }
        // col[mg*K, in] = W_gᵀ [mg*K, cg] · X_g [cg, in]
        kernels::gemm_f32(kernels::Transpose::Yes, kernels::Transpose::No, mg * K, in_size, cg,
                          1.0f, pw + grp * cg * mg * K, mg * K,
                          px + (n * channels + grp * cg) * in_size, in_size, 0.0f, col, in_size);
        float* yg = py + (n * maps + grp * mg) * out_size;
        ctx.pool().parallel_for(mg, [&](int64_t begin, int64_t end, int) {
          for (int64_t m = begin; m < end; ++m) col2im(col + m * K * in_size, g, yg + m * out_size);
        });
      }
    }
  }

 private:
  // 1-D col2im of input positions [i0, i1): out[i * stride + k * dilation - pad] +=
  // col[k * (i1 - i0) + i - i0] where that output index exists.
  static void col2im_1d(const float* col, const ConvGeometry& g, int64_t i0, int64_t i1,
                        float* out) {
    const int64_t width = i1 - i0, st = g.stride[0], out_size = g.out[0];
    for (int64_t k = 0; k < g.kernel[0]; ++k) {
      const int64_t base = k * g.dilation[0] - g.pad_begin[0];
      // i * st + base inside [0, out_size) for i in [lo, hi), clipped to the chunk.
      const int64_t lo = std::clamp<int64_t>(base >= 0 ? 0 : (-base + st - 1) / st, i0, i1);
      const int64_t hi = std::clamp<int64_t>(
          out_size - base <= 0 ? 0 : (out_size - base + st - 1) / st, lo, i1);
      const float* src = col + k * width - i0;  // indexed by absolute i
      for (int64_t i = lo; i < hi; ++i) out[i * st + base] += src[i];
    }
  }

  // out[o(i, kidx)] += col[kidx * in_size + i] for every input position and kernel offset.
  static void col2im(const float* col, const ConvGeometry& g, float* out) {
    const int s = g.spatial;
    const int64_t K = g.kernel_size(), in_size = g.in_size();
    const int64_t in_row = g.in[s - 1], rows = in_size / in_row;
    for (int64_t kidx = 0; kidx < K; ++kidx) {
      int64_t kc[kMaxSpatial];
      for (int64_t rem = kidx, d = s - 1; d >= 0; --d) {
        kc[d] = rem % g.kernel[d];
        rem /= g.kernel[d];
      }
      const float* src = col + kidx * in_size;
      for (int64_t r = 0; r < rows; ++r) {
        int64_t out_offset = 0, out_stride = 1;
        bool inside = true;
        for (int64_t rem = r, d = s - 2; d >= 0; --d) {
          out_stride *= g.out[d + 1];
          const int64_t i = rem % g.in[d];
          rem /= g.in[d];
          const int64_t o = i * g.stride[d] - g.pad_begin[d] + kc[d] * g.dilation[d];
          if (o < 0 || o >= g.out[d]) inside = false;
          out_offset += o * out_stride;
        }
        if (!inside) continue;
        const float* in = src + r * in_row;
        float* dst = out + out_offset;
        const int64_t base = kc[s - 1] * g.dilation[s - 1] - g.pad_begin[s - 1];
        const int64_t st = g.stride[s - 1];
        for (int64_t i = 0; i < in_row; ++i) {
          const int64_t o = i * st + base;
          if (o >= 0 && o < g.out[s - 1]) dst[o] += in[i];
        }
      }
    }
  }

  ConvAttributes attrs_;
  std::vector<int64_t> output_padding_, output_shape_;
};

}  // namespace

void register_conv_ops(OpRegistry& registry) {
  registry.add<Conv>(kOnnxDomain, "Conv", 1, kLatestOpset);
  registry.add<ConvTranspose>(kOnnxDomain, "ConvTranspose", 1, kLatestOpset);
}

}  // namespace parley::onnx
