// Test helper: runs a shell command and returns its exit code and everything it wrote to stdout
// (append " 2>&1" to the command to capture stderr too). Used by the CLI tests that run the
// `parley` binary and by the tests that call a reference tool through node.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace parley::test {

struct CommandResult {
  int exit_code = -1;  // -1: could not start, or ended by a signal
  std::string output;
};

inline CommandResult run_command(const std::string& shell_command) {
  CommandResult result;
  FILE* pipe = ::popen(shell_command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 65536> buffer;
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace parley::test
