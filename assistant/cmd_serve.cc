// parley serve: the headless kiosk — OpenAI-compatible HTTP API, events, metrics, health.
// Everything but option parsing lives in assistant/server/ (serve.h).
#include <functional>
#include <memory>


#include "assistant/commands.h"
#include "assistant/serve_listener.h"
#include "assistant/simulated_input.h"
#include "assistant/server/serve.h"
#include "kernels/error.h"

namespace parley::assistant {

void add_serve_command(CLI::App& app) {
  auto settings = std::make_shared<server::ServeSettings>();
  server::ServerOptions& o = settings->options;
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "HTTP API on 127.0.0.1 (OpenAI-compatible chat, /events, /metrics, /health); an API key is "
      "required to listen on any other address");
  cmd->add_option("--host", o.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", o.port, "Port (0 = any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--api-key", o.api_key,
                  "Require 'Authorization: Bearer KEY' on every route but /health")
      ->envname("PARLEY_API_KEY");
  cmd->add_option("--config", settings->config_path,
                  "Configuration file (default: ~/.config/parley/config.json)");
  cmd->add_option("--set", settings->assignments,
                  "Override a configuration key: key=value (repeatable)");
  cmd->add_option("--llm", settings->models.llm,
                  "GGUF chat model (default: models.llm of the config)");
  cmd->add_option("--asr", settings->models.asr,
                  "Streaming ASR model folder (default: models.asr)");
  cmd->add_option("--voice", settings->models.voice,
                  "Voice spec: espeak:<voice> or a Piper .onnx (default: models.voice)");
  cmd->add_option("--model-id", o.model_id,
                  "Id of the chat model in /v1/models (default: file name)");
  cmd->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body")
      ->capture_default_str();
  cmd->add_option("--timeout", o.read_timeout_s, "Socket read timeout, seconds")
      ->capture_default_str();
  cmd->add_option("--write-timeout", o.write_timeout_s, "Socket write timeout, seconds")
      ->capture_default_str();
  cmd->add_option("--http-threads", o.http_threads, "Connections served at once")
      ->capture_default_str();
  cmd->add_option("--workers", o.model_workers, "Model jobs run at once")->capture_default_str();
  cmd->add_option("--threads-per-worker", o.threads_per_worker,
                  "Threads per model job (0 = cores / workers)")
      ->each([settings](const std::string&) { settings->threads_given = true; });
  cmd->add_option("--queue", o.queue_capacity, "Requests that may wait for a worker (beyond: 429)")
      ->capture_default_str();
  cmd->add_option("--queue-wait-ms", o.queue_wait_ms, "Longest wait for a worker (beyond: 503)")
      ->capture_default_str();
  cmd->add_option("--ctx", o.context_length,
                  "Largest context per request, tokens (default: model's, at most 4096)");
  cmd->add_option("--shutdown-grace-ms", o.shutdown_grace_ms,
                  "Time running streams get to finish on SIGTERM")
      ->capture_default_str();
  cmd->add_option("--wyoming", settings->wyoming_port,
                  "Also serve the Wyoming protocol (Home Assistant STT/TTS) on this port")
      ->check(CLI::Range(0, 65535));
  auto listen = std::make_shared<ServeListenOptions>();
  auto listening = std::make_shared<bool>(false);
  cmd->add_flag("--listen", *listening,
                "Also hold conversations on the device microphone and speaker (events on /events)");
  cmd->add_option("--input", listen->input, "With --listen: capture device (name substring)");
  cmd->add_option("--output", listen->output, "With --listen: playback device (name substring)");
  cmd->add_flag("--half-duplex", listen->half_duplex, "With --listen: mute the microphone while speaking");
  cmd->add_flag("--simulated", listen->simulated, "With --listen: the simulated device instead of sound hardware");
  cmd->add_option("--simulated-input", listen->simulated_input,
                  "With --listen --simulated: audio file spoken into the microphone once");
  auto outage = std::make_shared<std::string>();
  cmd->add_option("--simulated-outage", *outage,
                  "With --listen --simulated: the device vanishes AT seconds in, for SECONDS (fault test), AT:SECONDS");
  cmd->callback([settings, listen, listening, outage] {
    if (*listening) {
      if (!outage->empty()) {
        if (!listen->simulated) throw Error("serve: --simulated-outage needs --simulated");
        listen->simulated_outage = parse_outage(*outage, "serve");  // before any model loads
      }
      listen->models = {.asr = settings->models.asr, .llm = settings->models.llm, .voice = settings->models.voice, .vad = ""};
      settings->start_listening = [listen](server::ServerContext& context) {
        auto listener = std::make_shared<ServeListener>(context, *listen);
        return std::function<void()>([listener] { listener->stop(); });
      };
    } else if (listen->simulated || !listen->simulated_input.empty() || !outage->empty() ||
               !listen->input.empty() ||
               !listen->output.empty() || listen->half_duplex) {
      throw Error("serve: --input, --output, --half-duplex and --simulated* go with --listen");
    }
    server::run_serve(*settings);
  });
}

}  // namespace parley::assistant
