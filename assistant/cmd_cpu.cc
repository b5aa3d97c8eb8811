// parley cpu: the CPU features found and the kernel level in use.
#include <cstdio>

#include "assistant/commands.h"
#include "kernels/cpu.h"
#include "kernels/thread_pool.h"

namespace parley::assistant {

void add_cpu_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("cpu", "Show CPU features and the kernel ISA level in use");
  cmd->callback([] {
    const kernels::CpuFeatures& f = kernels::cpu_features();
    std::printf("cores:       %d\n", kernels::ThreadPool::default_thread_count());
    std::printf("features:    avx2=%d fma=%d f16c=%d avx512f=%d avx512bw=%d avx512vl=%d avx512dq=%d avx512vnni=%d avx512bf16=%d\n",
                f.avx2, f.fma, f.f16c, f.avx512f, f.avx512bw, f.avx512vl, f.avx512dq, f.avx512vnni, f.avx512bf16);
    std::printf("best level:  %s\n", std::string(kernels::isa_name(kernels::best_supported_isa())).c_str());
    std::printf("in use:      %s (PARLEY_ISA=scalar|avx2|avx512 lowers it)\n",
                std::string(kernels::isa_name(kernels::active_isa())).c_str());
  });
}

}  // namespace parley::assistant
