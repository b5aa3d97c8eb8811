// llama: Llama 2/3.x, TinyLlama, SmolLM/SmolLM2, Mistral — RMSNorm, rotary embeddings on
// interleaved pairs (GGUF converters permute Q/K for it), grouped-query attention, SwiGLU.
#include "llm/architecture.h"

namespace parley::llm {

const ArchitectureSpec kArchitectureLlama = {
    .name = "llama",
    .rope_layout = kernels::RopeLayout::Interleaved,
    .has_qkv_bias = false,
    .default_tied_embeddings = false,
};

}  // namespace parley::llm
