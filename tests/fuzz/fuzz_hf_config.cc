// Hugging Face config.json → HfConfig (architecture, hyper-parameters, every field's type and
// range). Seeds: tests/llm/fixtures/hf_*/config.json.
#include <string>

#include "kernels/error.h"
#include "llm/hf_config.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(hf_config) {
  const std::string path = parley::fuzz::write_scratch_file("hf_config/config.json", data, size);
  try {
    const parley::llm::HfConfig config =
        parley::llm::read_hf_config((parley::fuzz::scratch_dir() / "hf_config").string());
    // What the converter does next with the numbers: they must already be sane.
    if (config.num_attention_heads <= 0 || config.hidden_size <= 0 || config.head_dim <= 0 ||
        config.num_key_value_heads <= 0 || config.vocab_size <= 0)
      __builtin_trap();
  } catch (const parley::Error&) {
  }
  return 0;
}
