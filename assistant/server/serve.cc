#include "assistant/server/serve.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <thread>

#include "assistant/server/http_server.h"
#include "assistant/server/wyoming.h"
#include "kernels/error.h"

namespace parley::assistant::server {

void run_serve(const ServeSettings& settings) {
  AssistantConfig config = load_effective_config(settings.config_path, settings.assignments);
  ServerOptions options = settings.options;
  if (!settings.threads_given && config.llm.threads > 0)
    options.threads_per_worker = config.llm.threads;
  if (options.context_length == 0) options.context_length = config.llm.context_length;
  ModelPaths models = settings.models;
  if (models.llm.empty()) models.llm = config.models.llm;
  if (models.asr.empty()) models.asr = config.models.asr;
  if (models.voice.empty()) models.voice = config.models.voice;
  if (models.llm.empty() && models.asr.empty() && models.voice.empty())
    throw Error(
        "serve: no model to serve; pass --llm, --asr or --voice (or set models.* in the config)");

  // SIGINT / SIGTERM go to a waiting thread only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto logger = spdlog::default_logger();
  ServerContext context(options, std::move(config), logger);  // validates the options
  HttpServer server(context);
  server.bind();  // fail fast on a bad address, before loading models
  // /health answers while the models load; /ready turns 200 after.
  server.start();
  try {
    context.load_models(models);
  } catch (...) {
    server.stop();
    throw;
  }
  context.logger->info("ready: http://{}:{}", context.options.host, server.port());
  std::optional<WyomingServer> wyoming;
  if (settings.wyoming_port >= 0) {
    try {
      wyoming.emplace(WyomingServices::from_context(context));
      const int port = wyoming->start(context.options.host, settings.wyoming_port);
      context.logger->info("wyoming: tcp://{}:{}", context.options.host, port);
    } catch (...) {
      server.stop();
      throw;
    }
  }

  std::function<void()> stop_listening;
  if (settings.start_listening) {
    try {
      stop_listening = settings.start_listening(context);
    } catch (...) {
      if (wyoming) wyoming->stop();
      server.stop();
      throw;
    }
  }

  int received = 0;
  sigwait(&signals, &received);
  context.logger->info("received {}, shutting down", received == SIGTERM ? "SIGTERM" : "SIGINT");
  if (stop_listening) stop_listening();
  if (wyoming) wyoming->stop();
  server.stop();
}

}  // namespace parley::assistant::server
