// CPU feature detection and the choice of ISA level — the one place that decides which
// kernels run. Everything else asks kernels() (kernel_table.h) for function pointers.
//
// Levels: Scalar (reference, builds everywhere), Avx2 (AVX2+FMA+F16C), Avx512 (F/BW/VL/DQ with
// VNNI). The level in use is the best the CPU supports, lowered by the environment variable
// PARLEY_ISA=scalar|avx2|avx512 (read once, at first use) or by set_isa_limit().
#pragma once

#include <optional>
#include <string_view>

namespace parley::kernels {

enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };
inline constexpr int kIsaCount = 3;

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
};

const CpuFeatures& cpu_features();
bool isa_supported(Isa isa);
Isa best_supported_isa();
std::string_view isa_name(Isa isa);
std::optional<Isa> isa_from_name(std::string_view name);

// The level kernels() uses now: min(best supported, limit).
Isa active_isa();
// Lowers (or raises, up to what the CPU supports) the level. Not thread-safe against kernels()
// calls running at the same time: set it at start-up or between runs.
void set_isa_limit(Isa limit);

}  // namespace parley::kernels
