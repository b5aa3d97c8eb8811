#include "assistant/server/server_context.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "asr/recognizer.h"
#include "asr/transducer_model.h"
#include "kernels/error.h"
#include "llm/model.h"
#include "tts/voice_factory.h"

namespace parley::assistant::server {

namespace {
ServerOptions validated(ServerOptions options) {
  options.validate();
  return options;
}
}  // namespace

ServerContext::ServerContext(ServerOptions server_options, AssistantConfig assistant_config,
                             std::shared_ptr<spdlog::logger> log)
    : options(validated(std::move(server_options))),
      config(std::move(assistant_config)),
      logger(log ? std::move(log) : spdlog::default_logger()),
      work_queue(options.model_workers, options.queue_capacity, options.threads_per_worker) {}

ServerContext::~ServerContext() {
  work_queue.close();
  events.close();
}

void ServerContext::load_models(const ModelPaths& paths) {
  namespace fs = std::filesystem;
  if (!paths.llm.empty()) {
    llm_model = llm::Model::load(paths.llm);
    llm_model_id =
        options.model_id.empty() ? fs::path(paths.llm).stem().string() : options.model_id;
    std::error_code error;
    const auto mtime = fs::last_write_time(paths.llm, error);
    if (!error)
      llm_created_unix = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                             .count();
    logger->info("chat model '{}' loaded from {} ({} parameters)", llm_model_id, paths.llm,
                 llm_model->parameter_count());
  }
  if (!paths.asr.empty()) {
    asr_recognizer = std::make_shared<const asr::Recognizer>(asr::TransducerModel::load(paths.asr));
    asr_model_id = fs::path(paths.asr).lexically_normal().filename().string();
    if (asr_model_id.empty())
      asr_model_id = fs::path(paths.asr).lexically_normal().parent_path().filename().string();
    logger->info("speech recognition model '{}' loaded from {}", asr_model_id, paths.asr);
  }
  voice_spec = paths.voice;
  if (!voice_spec.empty()) tts::parse_voice_spec(voice_spec);  // throws for a malformed spec
  if (!voice_spec.empty()) logger->info("voice: {}", voice_spec);
  ready.store(true);
}

std::string ServerContext::next_request_id(std::string_view prefix) {
  static const uint64_t process_salt = std::random_device{}() * 0x9E3779B97F4A7C15ull;
  const uint64_t n = request_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  char digits[17];
  std::snprintf(digits, sizeof digits, "%016llx",
                static_cast<unsigned long long>(process_salt ^ (n * 0xD1B54A32D192ED03ull)));
  return std::string(prefix) + "-" + digits;
}

void ServerContext::set_stop_speaking(std::function<void()> stop) {
  std::lock_guard lock(stop_speaking_mutex_);
  stop_speaking_ = std::move(stop);
}

bool ServerContext::stop_speaking() {
  std::lock_guard lock(stop_speaking_mutex_);
  if (!stop_speaking_) return false;
  stop_speaking_();
  return true;
}

}  // namespace parley::assistant::server
