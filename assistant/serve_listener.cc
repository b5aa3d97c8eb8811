#include "assistant/serve_listener.h"

#include <chrono>
#include <tuple>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "assistant/core/device_watch.h"
#include "assistant/core/turn_state.h"
#include "assistant/simulated_input.h"
#include "audio/portaudio_device.h"
#include "audio/simulated_device.h"
#include "kernels/error.h"

namespace parley::assistant {
namespace {

nlohmann::json trace_event(const TurnResult& r) {
  nlohmann::json stages = nlohmann::json::object();
  for (const TraceStage& stage : kTraceStages) {
    if (const std::optional<double> ms = r.trace.stage_ms(stage)) stages[std::string(stage.name)] = *ms;
  }
  return {{"source", "device"},
          {"turn", r.trace.turn_index},
          {"transcript", r.trace.transcript},
          {"reply", r.trace.reply},
          {"interrupted", r.trace.interrupted},
          {"tool_calls", r.tool_calls},
          {"stages_ms", stages}};
}

}  // namespace

ServeListener::ServeListener(server::ServerContext& context, const ServeListenOptions& options)
    : context_(context) {
  const AssistantConfig& config = context.config;
  const int rate = config.devices.sample_rate_hz;
  const bool echo_cancellation = !options.simulated && !options.half_duplex && !config.devices.half_duplex;
  audio::StreamConfig stream_config{.sample_rate_hz = rate,
                                    .capture_channels = 1,
                                    .playback_channels = 1,
                                    .frames_per_block = std::max(1, rate / 50),
                                    .keep_far_end_reference = echo_cancellation,
                                    .capture_device = !options.input.empty() ? options.input : config.devices.input,
                                    .playback_device = !options.output.empty() ? options.output : config.devices.output};
  stream_config.validate();
  if (options.simulated) {
    audio::SimulatedStreamOptions simulated;
    simulated.pacing = audio::Pacing::kRealTime;
    if (!options.simulated_input.empty()) {
      simulated.capture_input = std::vector<float>(static_cast<size_t>(rate / 2), 0.0f);  // noise floor
      const std::vector<float> clip = read_clip(options.simulated_input, rate);
      simulated.capture_input.insert(simulated.capture_input.end(), clip.begin(), clip.end());
    }
    if (options.simulated_outage)
      std::tie(simulated.outage_after_s, simulated.outage_s) = *options.simulated_outage;
    stream_ = std::make_unique<audio::SimulatedStream>(stream_config, std::move(simulated));
  } else if (!options.simulated_input.empty() || options.simulated_outage) {
    throw Error("serve: --simulated-input and --simulated-outage need --simulated");
  } else {
    stream_ = std::make_unique<audio::PortAudioStream>(stream_config);
  }
  assistant_ = std::make_unique<VoiceAssistant>(
      config, options.models, *stream_, clock_,
      VoiceAssistantOptions{.half_duplex = options.half_duplex, .echo_cancellation = echo_cancellation,
                            .scripted_transcripts = {}});
  Pipeline& pipeline = assistant_->pipeline();
  pipeline.set_on_turn([this](const TurnResult& r) { context_.events.publish("trace", trace_event(r)); });
  context.set_stop_speaking([this] { assistant_->pipeline().stop_speaking(); });
  context.logger->info("listen: {} on {}", assistant_->description(), stream_->description());
  pipeline.start();
  stream_->start();
  status_thread_ = std::thread([this] { watch_status(); });
}

ServeListener::~ServeListener() { stop(); }

void ServeListener::stop() {
  if (stopping_.exchange(true)) return;
  context_.set_stop_speaking({});
  if (status_thread_.joinable()) status_thread_.join();
  stream_->stop();
  assistant_->pipeline().stop();
}

// Polls the pipeline every 50 ms and publishes what changed: partial transcript, final transcript,
// speaking, listening, barge-in. Final and speaking come from counters, not from the state seen at
// a poll: the thinking state of a fast turn often lasts less than one poll.
void ServeListener::watch_status() {
  TurnState last_state = TurnState::kListening;
  std::string last_partial;
  int64_t last_turns = 0;
  int64_t last_finals = 0;
  int64_t last_heard = 0;
  context_.events.publish("listening", {{"source", "device"}});
  // A device that vanishes stops the reply being spoken, is reopened, and is reported.
  DeviceWatch watch(
      *stream_, clock_, [this](const std::string& line) { context_.logger->warn("listen: {}", line); },
      [this] {
        assistant_->pipeline().stop_speaking();
        context_.metrics.counter("parley_errors_total", "Errors by kind", {{"kind", "device_lost"}}).inc();
        context_.events.publish("device", {{"source", "device"}, {"state", "lost"}});
      },
      [this](int64_t outage_us) {
        context_.events.publish("device",
                                {{"source", "device"}, {"state", "back"}, {"outage_ms", outage_us / 1000}});
      });
  while (!stopping_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    watch.poll();
    const PipelineStatus s = assistant_->pipeline().status();
    if (s.state == TurnState::kHearing && s.partial != last_partial && !s.partial.empty())
      context_.events.publish("partial", {{"source", "device"}, {"text", s.partial}});
    last_partial = s.partial;
    if (s.finals != last_finals)
      context_.events.publish("final", {{"source", "device"}, {"text", s.final_text}});
    if (s.replies_heard != last_heard) context_.events.publish("speaking", {{"source", "device"}});
    const bool changed = s.state != last_state || s.turns_ended != last_turns;
    if (changed && s.state == TurnState::kListening)
      context_.events.publish("listening", {{"source", "device"}});
    if (changed && s.state == TurnState::kInterrupted)
      context_.events.publish("barge_in", {{"source", "device"}});
    last_finals = s.finals;
    last_heard = s.replies_heard;
    last_state = s.state;
    last_turns = s.turns_ended;
  }
}

}  // namespace parley::assistant
