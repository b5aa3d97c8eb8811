#include "kernels/cpu.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace parley::kernels {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's cpuinfo also checks that the OS saves the wide registers (XGETBV).
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  // F16C is CPUID.1:ECX bit 29 (clang 14's __builtin_cpu_supports does not know "f16c"); the
  // ISAs that use it also need AVX, whose OS support the checks above already include.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  f.f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return f;
}

int limit_from_environment() {
  const char* value = std::getenv("PARLEY_ISA");
  if (value == nullptr || *value == '\0') return kIsaCount - 1;
  if (auto isa = isa_from_name(value)) return static_cast<int>(*isa);
  std::fprintf(stderr, "parley: ignoring PARLEY_ISA=%s (expected scalar, avx2 or avx512)\n", value);
  return kIsaCount - 1;
}

std::atomic<int>& limit() {
  static std::atomic<int> value{limit_from_environment()};
  return value;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::Scalar:
      return true;
    case Isa::Avx2:
      return f.avx2 && f.fma && f.f16c;
    case Isa::Avx512:
      return isa_supported(Isa::Avx2) && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq &&
             f.avx512vnni;
  }
  return false;
}

Isa best_supported_isa() {
  for (int i = kIsaCount - 1; i > 0; --i) {
    if (isa_supported(static_cast<Isa>(i))) return static_cast<Isa>(i);
  }
  return Isa::Scalar;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return "scalar";
    case Isa::Avx2:
      return "avx2";
    case Isa::Avx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<Isa> isa_from_name(std::string_view name) {
  for (int i = 0; i < kIsaCount; ++i) {
    if (isa_name(static_cast<Isa>(i)) == name) return static_cast<Isa>(i);
  }
  return std::nullopt;
}

Isa active_isa() {
  return static_cast<Isa>(std::min(limit().load(std::memory_order_relaxed),
                                   static_cast<int>(best_supported_isa())));
}

void set_isa_limit(Isa isa) { limit().store(static_cast<int>(isa), std::memory_order_relaxed); }

}  // namespace parley::kernels
