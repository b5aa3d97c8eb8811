#include "asr/vad_factory.h"

#include <filesystem>

#include "asr/energy_vad.h"
#include "asr/silero_vad.h"
#include "kernels/error.h"

namespace parley::asr {

std::unique_ptr<VoiceActivityDetector> open_vad(const std::string& spec,
                                                const VadOptions& options) {
  if (spec == "energy") {
    EnergyVadConfig config;
    config.sample_rate_hz = options.sample_rate_hz;
    return std::make_unique<EnergyVad>(config);
  }
  if (spec.empty()) throw Error("--vad: empty; give \"energy\" or a Silero .onnx model file");
  std::error_code error;
  if (!std::filesystem::exists(spec, error)) {
    throw Error(spec + ": no such VAD model file (give \"energy\" or a Silero .onnx model)");
  }
  if (!std::filesystem::is_regular_file(spec, error)) {
    throw Error(spec + ": not a file (give \"energy\" or a Silero .onnx model)");
  }
  return std::make_unique<SileroVad>(SileroVadModel::load(spec), options.sample_rate_hz);
}

}  // namespace parley::asr
