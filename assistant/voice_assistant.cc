#include "assistant/voice_assistant.h"

#include <algorithm>

#include "asr/vad_factory.h"
#include "assistant/core/chat_backend.h"
#include "assistant/models/model_store.h"

namespace parley::assistant {

VoiceAssistant::VoiceAssistant(const AssistantConfig& config, const ModelChoice& choice,
                               audio::AudioStream& stream, const Clock& clock,
                               const VoiceAssistantOptions& options)
    : volume_(config.voice.volume_percent) {
  const int rate = config.devices.sample_rate_hz;
  const bool scripted_ears = !options.scripted_transcripts.empty();
  const std::string asr_dir =
      scripted_ears ? std::string()
                    : models::resolve_default_model(models::ModelKind::kAsr, choice.asr, config.models.asr);
  const std::string llm_path =
      config.remote_llm.enabled
          ? std::string()
          : models::resolve_default_model(models::ModelKind::kLlm, choice.llm, config.models.llm);
  const std::string voice_spec = !choice.voice.empty()          ? choice.voice
                                 : !config.models.voice.empty() ? config.models.voice
                                                                : "espeak:en-us";
  const std::string vad_spec = !choice.vad.empty()          ? choice.vad
                               : !config.models.vad.empty() ? config.models.vad
                                                            : "energy";
  description_ = (scripted_ears ? std::string("asr none (scripted transcripts)") : "asr " + asr_dir) + ", llm " + describe_chat_backend(config, llm_path) + ", voice " +
                 voice_spec + ", vad " + vad_spec;

  if (scripted_ears) {
    ears_ = std::make_unique<ScriptedRecognizer>(options.scripted_transcripts, rate);
  } else {
    ears_ = std::make_unique<RecognizerEngine>(asr_dir, rate);
  }
  brain_ = open_chat_engine(config, llm_path);
  voice_ = std::make_unique<VoiceEngine>(voice_spec, rate);
  vad_ = asr::open_vad(vad_spec, {.sample_rate_hz = rate});

  timers_ = std::make_unique<TimerService>(clock, [this](const TimerInfo& t) {
    if (pipeline_) pipeline_->announce(timer_announcement(t));
  });
  registry_ = builtin_tool_registry({.clock = &clock,
                                     .timers = timers_.get(),
                                     .volume = &volume_,
                                     .on_stop = [this] {
                                       if (pipeline_) pipeline_->stop_speaking();
                                     }},
                                    config.tools.disabled);

  PipelineOptions pipeline_options;
  pipeline_options.sample_rate_hz = rate;
  pipeline_options.half_duplex = options.half_duplex || config.devices.half_duplex;
  pipeline_options.echo_cancellation = options.echo_cancellation;
  pipeline_options.system_prompt = config.llm.system_prompt;
  pipeline_options.wake_phrase = config.wake.phrase;
  pipeline_options.wake_window_seconds = config.wake.listen_window_s;
  pipeline_options.segmenter.threshold = config.vad.threshold;
  pipeline_options.segmenter.release_threshold = std::min(config.vad.threshold, 0.35f);
  pipeline_options.segmenter.min_speech_seconds = config.vad.min_speech_ms / 1000.0f;
  pipeline_options.segmenter.min_silence_seconds = config.endpoint.vad_trailing_silence_s;
  pipeline_options.segmenter.speech_pad_seconds = config.vad.speech_pad_ms / 1000.0f;
  pipeline_ = std::make_unique<Pipeline>(
      stream, clock,
      PipelineEngines{.asr = ears_.get(),
                      .chat = brain_.get(),
                      .tts = voice_.get(),
                      .vad = vad_.get(),
                      .tools = config.tools.enabled ? &registry_ : nullptr,
                      .timers = timers_.get()},
      pipeline_options);
}

VoiceAssistant::~VoiceAssistant() {
  if (pipeline_) pipeline_->stop();
}

TurnLog::TurnLog(const std::string& trace_path) {
  if (!trace_path.empty()) writer_ = std::make_unique<TraceWriter>(trace_path);
}

void TurnLog::attach(Pipeline& pipeline) {
  pipeline.set_on_turn([this](const TurnResult& r) {
    std::lock_guard lock(mutex_);
    turns_.push_back(r);
  });
}

void TurnLog::drain(const std::function<void(const TurnResult&)>& print) {
  std::lock_guard lock(mutex_);
  for (; drained_ < turns_.size(); ++drained_) {
    const TurnResult& r = turns_[drained_];
    print(r);
    if (writer_) writer_->write(r.trace);
    summary_.add(r.trace);
  }
}

size_t TurnLog::finished() const {
  std::lock_guard lock(mutex_);
  return turns_.size();
}

}  // namespace parley::assistant
