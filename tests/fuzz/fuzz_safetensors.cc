// safetensors: the 8-byte header length, the JSON header (dtype, shape, data_offsets of every
// tensor, __metadata__) and the conversion of each tensor to float32, from memory. Input starting
// with '{' is used as a sharded checkpoint's model.safetensors.index.json instead, next to one
// valid shard holding tensors "a" and "b".
#include <cstring>
#include <filesystem>
#include <string>

#include "kernels/error.h"
#include "llm/safetensors.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

std::string make_shard() {
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]},"__metadata__":{"format":"pt"}})";
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return bytes + header + std::string(12, '\x3f');
}

void convert_all(const std::map<std::string, parley::llm::SafetensorsTensor>& tensors) {
  for (const auto& [name, t] : tensors) (void)parley::llm::safetensors_to_f32(t);
}

}  // namespace

PARLEY_FUZZ_TARGET(safetensors) {
  try {
    if (size > 0 && data[0] == '{') {
      static const std::string dir = [] {
        const std::string shard = make_shard();
        parley::fuzz::write_scratch_file("ckpt/model-00001-of-00001.safetensors",
                                         reinterpret_cast<const uint8_t*>(shard.data()), shard.size());
        return (parley::fuzz::scratch_dir() / "ckpt").string();
      }();
      parley::fuzz::write_scratch_file("ckpt/model.safetensors.index.json", data, size);
      parley::llm::SafetensorsCheckpoint ckpt = parley::llm::SafetensorsCheckpoint::open(dir);
      for (const auto& [name, t] : ckpt.tensors()) (void)parley::llm::safetensors_to_f32(*t);
      return 0;
    }
    parley::llm::SafetensorsFile file =
        parley::llm::SafetensorsFile::from_memory("fuzz.safetensors", data, size);
    convert_all(file.tensors());
  } catch (const parley::Error&) {
  }
  return 0;
}
