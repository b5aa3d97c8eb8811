// Dispatch and portable versions of vector_math.h.
#include "kernels/onnx/vector_math.h"

#include <cmath>

#include "kernels/cpu.h"

namespace parley::onnx {

void log_f32(int64_t n, const float* x, float* y) {
  if (kernels::active_isa() >= kernels::Isa::Avx2) {
    detail::log_f32_avx2(n, x, y);
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
}

void erf_f32(int64_t n, const float* x, float* y) {
  if (kernels::active_isa() >= kernels::Isa::Avx2) {
    detail::erf_f32_avx2(n, x, y);
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] = std::erf(x[i]);
}

}  // namespace parley::onnx
