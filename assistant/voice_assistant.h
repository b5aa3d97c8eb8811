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

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "asr/vad.h"
#include "assistant/core/assistant_tools.h"
#include "assistant/core/clock.h"
#include "assistant/core/config.h"
#include "assistant/core/engines.h"
#include "assistant/core/pipeline.h"
#include "assistant/core/timers.h"
#include "assistant/core/tool_registry.h"
#include "assistant/core/turn_trace.h"
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
  // No ASR model: the recognizer "hears" these transcripts, one per utterance, in order (`parley
  // demo` when no ASR model is installed; said so in description()). Empty: the ASR model.
  std::vector<std::string> scripted_transcripts;
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
  std::unique_ptr<SpeechRecognizerEngine> ears_;
  std::unique_ptr<ChatEngine> brain_;
  std::unique_ptr<VoiceEngine> voice_;
  std::unique_ptr<asr::VoiceActivityDetector> vad_;
  VolumeControl volume_;
  std::unique_ptr<TimerService> timers_;
  ToolRegistry registry_;
  std::unique_ptr<Pipeline> pipeline_;
};

// Turns finished by the pipeline (collected on its control thread), handed to the command's own
// thread by drain(): printed, appended to the trace file (one JSON line each) and summarised.
class TurnLog {
 public:
  explicit TurnLog(const std::string& trace_path);  // "" = no file; throws naming the file
  void attach(Pipeline& pipeline);                  // before pipeline.start()
  // Calls `print` for every turn finished since the last drain(), in order.
  void drain(const std::function<void(const TurnResult&)>& print);
  size_t finished() const;  // turns finished so far (drained or not)
  const TraceSummary& summary() const { return summary_; }

 private:
  std::unique_ptr<TraceWriter> writer_;
  TraceSummary summary_;
  mutable std::mutex mutex_;
  std::vector<TurnResult> turns_;
  size_t drained_ = 0;
};

}  // namespace parley::assistant
