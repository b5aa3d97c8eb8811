// Reference tile products (kernel_table.h: gemm_tile): one vec_dot call per (row, batch entry),
// rows outermost so each weight row is read once per tile. Every level's table gets these loops
// for all dtypes that have a dot product (fill_gemm_tile_with_vec_dot_loops), so gemm_tile is
// complete wherever vec_dot is; qgemm_avx2.cc then replaces the loops of the common weight types
// with register-blocked kernels, which tests/kernels/qgemm_test.cc checks against these.
#include <array>
#include <utility>

#include "kernels/qgemm_internal.h"

namespace parley::kernels {
namespace {

template <Isa kIsa, int kType>
void gemm_tile_vec_dot_loop(int64_t n, const void* weights, int64_t weight_row_bytes, int64_t rows,
                            const void* activations, int64_t activation_row_bytes, int64_t batch,
                            float* y, int64_t y_row_stride_floats) {
  // Registered only in tables that exist and have this vec_dot, so neither pointer is null.
  const VecDotFn dot = kernels_for(kIsa)->vec_dot[kType];
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(activations);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* w_row = w + r * weight_row_bytes;
    for (int64_t b = 0; b < batch; ++b) {
      y[b * y_row_stride_floats + r] = dot(n, w_row, a + b * activation_row_bytes);
    }
  }
}

template <Isa kIsa, int... kTypes>
constexpr std::array<GemmTileFn, kDTypeCount> loops_for(std::integer_sequence<int, kTypes...>) {
  return {gemm_tile_vec_dot_loop<kIsa, kTypes>...};
}

constexpr auto kTypes = std::make_integer_sequence<int, kDTypeCount>{};
constexpr std::array<std::array<GemmTileFn, kDTypeCount>, kIsaCount> kLoops = {
    loops_for<Isa::Scalar>(kTypes), loops_for<Isa::Avx2>(kTypes), loops_for<Isa::Avx512>(kTypes)};

bool is_vec_dot_loop(GemmTileFn fn, int type) {
  for (const auto& loops : kLoops) {
    if (loops[type] == fn) return true;
  }
  return false;
}

}  // namespace

void fill_gemm_tile_with_vec_dot_loops(KernelTable& table) {
  for (int t = 0; t < kDTypeCount; ++t) {
    GemmTileFn& entry = table.gemm_tile[t];
    if (table.vec_dot[t] != nullptr && (entry == nullptr || is_vec_dot_loop(entry, t))) {
      entry = kLoops[static_cast<int>(table.isa)][t];
    }
  }
}

void register_qgemm_scalar(KernelTable& table) {
  fill_gemm_tile_with_vec_dot_loops(table);
}

}  // namespace parley::kernels
