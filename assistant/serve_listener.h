// ServeListener — `parley serve --listen`: the voice pipeline on the device microphone and speaker
// (or the simulated device) inside the server, publishing its turn on the server's event bus so
// the kiosk page shows conversations held at the device:
//   listening / partial {text} / final {text} / thinking / speaking / barge_in, and at the end of
//   each turn "trace" {turn, transcript, reply, interrupted, stages_ms{...}}. A sound device that
//   vanishes is watched (DeviceWatch): "device" {state: lost}, the reply being spoken stops,
//   parley_errors_total{kind="device_lost"} counts it; once reopened "device" {state: back,
//   outage_ms}.
// POST /v1/stop (the page's Stop button) calls the pipeline's stop_speaking().
//
// Usage (cmd_serve.cc)
//   settings.start_listening = [&](server::ServerContext& context) {
//     auto listener = std::make_shared<ServeListener>(context, options);
//     return [listener] { listener->stop(); };
//   };
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "assistant/server/server_context.h"
#include "assistant/voice_assistant.h"
#include "audio/device.h"

namespace parley::assistant {

struct ServeListenOptions {
  ModelChoice models;          // "" = the config's, then the installed defaults
  std::string input, output;   // device names; "" = the config's, then the system default
  bool simulated = false;      // the simulated device instead of PortAudio
  std::string simulated_input; // with simulated: audio file spoken into the microphone once
  std::optional<std::pair<double, double>> simulated_outage;  // with simulated: {AT, SECONDS}, the
                                                             // device vanishes (fault test)
  bool half_duplex = false;
};

class ServeListener {
 public:
  // Opens the stream and the models, starts the pipeline and the status thread; throws
  // parley::Error naming what cannot be opened.
  ServeListener(server::ServerContext& context, const ServeListenOptions& options);
  ~ServeListener();
  void stop();  // idempotent

 private:
  void watch_status();

  server::ServerContext& context_;
  std::unique_ptr<audio::AudioStream> stream_;
  RealClock clock_;
  std::unique_ptr<VoiceAssistant> assistant_;
  std::atomic<bool> stopping_{false};
  std::thread status_thread_;
};

}  // namespace parley::assistant
