// The `parley` subcommands. Each file cmd_<name>.cc defines one add_<name>_command() that
// registers its options and handler with CLI11; main.cc lists them, one line each.
#pragma once

#include <CLI/CLI.hpp>

namespace parley::assistant {

void add_pipe_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_random_gguf_command(CLI::App& app);
void add_cpu_command(CLI::App& app);
void add_audio_commands(CLI::App& app);  // devices, record, play

}  // namespace parley::assistant
