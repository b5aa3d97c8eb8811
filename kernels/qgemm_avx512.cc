// AVX-512 level of the tile products (kernel_table.h: gemm_tile). There are no AVX-512 tile
// kernels yet: the table keeps the AVX2 kernels of qgemm_avx2.cc it inherits (they run on any
// AVX-512 CPU), and the remaining dtypes get vec_dot loops over this level's vec_dot.
#include "kernels/qgemm_internal.h"

namespace parley::kernels {

void register_qgemm_avx512(KernelTable& table) {
  fill_gemm_tile_with_vec_dot_loops(table);
}

}  // namespace parley::kernels
