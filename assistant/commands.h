// The `parley` subcommands. Each file cmd_<name>.cc defines one add_<name>_command() that
// registers its options and handler with CLI11; main.cc lists them, one line each.
#pragma once

#include <CLI/CLI.hpp>

namespace parley::assistant {

void add_pipe_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_random_gguf_command(CLI::App& app);
void add_convert_command(CLI::App& app);   // parley convert HF_DIR -o OUT.gguf
void add_quantize_command(CLI::App& app);  // parley quantize IN OUT TYPE
void add_cpu_command(CLI::App& app);
void add_audio_commands(CLI::App& app);  // devices, record, play
void add_config_command(CLI::App& app);
void add_speak_command(CLI::App& app);
void add_bench_tts_subcommand(CLI::App* bench);  // parley bench tts
void add_transcribe_command(CLI::App& app);
void add_vad_command(CLI::App& app);  // parley vad --vad MODEL|energy FILE
void add_models_command(CLI::App& app);  // parley models [fetch NAME | which KIND]
void add_bench_asr_subcommand(CLI::App* bench);  // parley bench asr
void add_bench_vad_subcommand(CLI::App* bench);  // parley bench vad
void add_converse_command(CLI::App& app);  // parley converse --in Q.wav [--out A.wav]
void add_demo_command(CLI::App& app);      // parley demo [-q QUESTION]...
void add_serve_command(CLI::App& app);  // parley serve [--host H] [--port P] [--api-key K]
void add_listen_command(CLI::App& app);  // parley listen [--input DEV] [--output DEV]

}  // namespace parley::assistant
