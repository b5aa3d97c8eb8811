// run_serve — `parley serve` end to end: configuration, models, HTTP server, signals.
//
//   ServeSettings settings;              // filled by cmd_serve.cc from the command line
//   settings.options.port = 8080;
//   run_serve(settings);                 // blocks until SIGTERM / SIGINT, then shuts down
//
// Model paths: the command line wins, then the configuration file's models.* keys. The
// configuration's server-independent settings (llm.max_tokens, llm.temperature, llm.threads as
// threads per worker when --threads-per-worker is not given) apply to requests.
// Errors (bad option, unbindable address, model that does not load) throw parley::Error before
// anything is served.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "assistant/server/server_context.h"

namespace parley::assistant::server {

struct ServeSettings {
  ServerOptions options;
  std::string config_path;               // --config; "" = the default file if present
  std::vector<std::string> assignments;  // --set key=value
  ModelPaths models;                     // --llm / --asr / --voice ("" = from the config)
  bool threads_given = false;            // options.threads_per_worker came from the command line
  // --listen: started once the models are loaded (cmd_serve.cc opens the device pipeline, which
  // publishes on context.events); returns the function that stops it before the server stops.
  std::function<std::function<void()>(ServerContext&)> start_listening;
  int wyoming_port = -1;                 // --wyoming PORT: Wyoming protocol server on options.host
                                         // (no authentication of its own); -1 = off
};

void run_serve(const ServeSettings& settings);

}  // namespace parley::assistant::server
