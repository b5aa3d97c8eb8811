// Internal to the qgemm_*.cc kernel files: the reference tile product, a loop of vec_dot calls.
//
//   void register_qgemm_avx2(KernelTable& table) {
//     fill_gemm_tile_with_vec_dot_loops(table);          // every dtype that has a vec_dot
//     table.gemm_tile[int(DType::Q4_0)] = tile_q4_0;     // then the dedicated kernels
//   }
#pragma once

#include "kernels/kernel_table.h"

namespace parley::kernels {

// Sets gemm_tile[t], for every dtype t with a vec_dot in `table` whose entry is empty or a loop
// of a lower level, to a loop that calls the vec_dot of level table.isa once per (row, batch
// entry); dedicated kernels inherited from a lower level stay. Call it after the vec_dot
// hooks of that level have run; the loop looks the dot product up (kernels_for(table.isa)) when
// it runs, so it always uses that level's final vec_dot.
void fill_gemm_tile_with_vec_dot_loops(KernelTable& table);

}  // namespace parley::kernels
