// Builds one KernelTable per ISA level the CPU supports. Each kernel file contributes one
// registration line below.
#include <array>
#include <memory>

#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

using RegisterFn = void (*)(KernelTable&);

constexpr RegisterFn kScalarKernels[] = {
    register_quant_legacy_scalar,
    register_quant_k_scalar,
    register_ops_scalar,
    register_qgemm_scalar,  // after the vec_dot hooks
};
constexpr RegisterFn kAvx2Kernels[] = {
    register_quant_legacy_avx2,
    register_quant_k_avx2,
    register_ops_avx2,
    register_qgemm_avx2,
};
constexpr RegisterFn kAvx512Kernels[] = {
    register_quant_legacy_avx512,
    register_quant_k_avx512,
    register_ops_avx512,
    register_qgemm_avx512,
};

template <size_t N>
void apply(const RegisterFn (&hooks)[N], KernelTable& table) {
  for (RegisterFn hook : hooks) hook(table);
}

struct Tables {
  std::array<std::unique_ptr<KernelTable>, kIsaCount> by_isa;
  Tables() {
    KernelTable table;
    table.isa = Isa::Scalar;
    for (int t = 0; t < kDTypeCount; ++t) table.dequantize_row[t] = dtype_traits(static_cast<DType>(t)).to_float;
    apply(kScalarKernels, table);
    by_isa[0] = std::make_unique<KernelTable>(table);
    if (isa_supported(Isa::Avx2)) {
      table.isa = Isa::Avx2;
      apply(kAvx2Kernels, table);
      by_isa[1] = std::make_unique<KernelTable>(table);
    }
    if (isa_supported(Isa::Avx512)) {
      table.isa = Isa::Avx512;
      apply(kAvx512Kernels, table);
      by_isa[2] = std::make_unique<KernelTable>(table);
    }
  }
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

}  // namespace

const KernelTable* kernels_for(Isa isa) { return tables().by_isa[static_cast<int>(isa)].get(); }

const KernelTable& kernels() { return *kernels_for(active_isa()); }

}  // namespace parley::kernels
