// qwen2: Qwen2 / Qwen2.5 — the llama block with biases on the Q, K and V projections and NeoX
// (half-split) rotary layout.
#include "llm/architecture.h"

namespace parley::llm {

const ArchitectureSpec kArchitectureQwen2 = {
    .name = "qwen2",
    .rope_layout = kernels::RopeLayout::NeoX,
    .has_qkv_bias = true,
    .default_tied_embeddings = true,
};

}  // namespace parley::llm
