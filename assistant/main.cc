// parley — offline voice assistant. `parley --help` lists the subcommands.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "assistant/commands.h"
#include "kernels/gemm.h"

int main(int argc, char** argv) {
  CLI::App app{"parley — an offline voice assistant for appliances (speech in, speech out, local LLM)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "parley 0.1.0");
  parley::assistant::add_pipe_command(app);
  parley::assistant::add_inspect_command(app);
  parley::assistant::add_bench_command(app);
  parley::assistant::add_random_gguf_command(app);
  parley::assistant::add_convert_command(app);
  parley::assistant::add_quantize_command(app);
  parley::assistant::add_cpu_command(app);
  parley::assistant::add_audio_commands(app);
  parley::assistant::add_config_command(app);
  parley::assistant::add_speak_command(app);
  parley::assistant::add_transcribe_command(app);
  parley::assistant::add_vad_command(app);
  parley::assistant::add_converse_command(app);
  parley::assistant::add_demo_command(app);
  parley::assistant::add_models_command(app);
  parley::assistant::add_serve_command(app);
  parley::assistant::add_listen_command(app);
  // OpenBLAS starts one worker per core, and idle workers spin for a while after each product.
  // The engines parallelize with their own thread pools, so those workers only compete with
  // them (a 1-thread streaming decode spent 4.5 s of system time in spinning OpenBLAS workers
  // beside 5 s of work). OpenBLAS runs on the calling thread unless the user sizes it
  // (OPENBLAS_NUM_THREADS) or a command sizes it to its --threads (bench onnx, bench llm).
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr && std::getenv("OMP_NUM_THREADS") == nullptr) {
    parley::kernels::set_blas_thread_count(1);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    // Every bad input (missing file, corrupt model, unsupported architecture) ends here:
    // one clear line and a non-zero exit.
    std::fflush(stdout);
    std::fprintf(stderr, "parley: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
