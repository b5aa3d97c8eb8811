// ArchitectureSpec: what distinguishes one decoder-only family from another for the shared
// forward pass (session.cc). A new architecture = one arch_<name>.cc defining its spec + one
// line in architecture.cc.
#pragma once

#include <string_view>
#include <vector>

#include "kernels/ops.h"

namespace parley::llm {

struct ArchitectureSpec {
  std::string_view name;            // general.architecture
  kernels::RopeLayout rope_layout = kernels::RopeLayout::Interleaved;
  bool has_qkv_bias = false;        // qwen2
  bool default_tied_embeddings = false;
};

// nullptr when the architecture is not supported.
const ArchitectureSpec* find_architecture(std::string_view name);
std::vector<std::string_view> supported_architectures();

// Registered specs, one per arch_<name>.cc.
extern const ArchitectureSpec kArchitectureLlama;
extern const ArchitectureSpec kArchitectureQwen2;

}  // namespace parley::llm
