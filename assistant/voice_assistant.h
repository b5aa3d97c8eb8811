// VoiceAssistant — the assembled voice pipeline of the `parley` commands that talk (converse,
// listen): the models the configuration names (command-line choices first, then the config file,
// then the installed defaults), the local tools with their timers and volume, and the Pipeline on
// the given audio stream and clock.
//
// Usage
//   AssistantConfig config = load_effective_config(config_path, assignments);
//   VoiceAssistant assistant(config, {.asr = "models/asr"}, stream, clock, {});
//   std::fprintf(stderr, "loading %s\n", assistant.description().c_str());
//   assistant.pipeline().set_on_turn(...);
//   assistant.pipeline().start();
//
// Throws parley::Error naming the model file, folder or config field that cannot be used.
#pragma once

#include <memory>
#include <string>

#include "asr/vad.h"
#include "assistant/core/assistant_tools.h"
#include "assistant/core/clock.h"
#include "assistant/core/config.h"
#include "assistant/core/engines.h"
#include "assistant/core/pipeline.h"
#include "assistant/core/timers.h"
#include "assistant/core/tool_registry.h"
#include "audio/device.h"

namespace parley::assistant {

// Models chosen on the command line; "" = from the config, then the installed default.
struct ModelChoice {
  std::string asr;
  std::string llm;
  std::string voice;
  std::string vad;
};

struct VoiceAssistantOptions {
  bool half_duplex = false;        // or devices.half_duplex in the config
  bool echo_cancellation = false;  // the stream must keep its far-end reference
};

class VoiceAssistant {
 public:
  VoiceAssistant(const AssistantConfig& config, const ModelChoice& choice, audio::AudioStream& stream,
                 const Clock& clock, const VoiceAssistantOptions& options);
  ~VoiceAssistant();

  Pipeline& pipeline() { return *pipeline_; }
  TimerService& timers() { return *timers_; }
  // "asr DIR, llm FILE|remote URL, voice SPEC, vad SPEC"
  const std::string& description() const { return description_; }

 private:
  std::string description_;
  std::unique_ptr<RecognizerEngine> ears_;
  std::unique_ptr<ChatEngine> brain_;
  std::unique_ptr<VoiceEngine> voice_;
  std::unique_ptr<asr::VoiceActivityDetector> vad_;
  VolumeControl volume_;
  std::unique_ptr<TimerService> timers_;
  ToolRegistry registry_;
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace parley::assistant
