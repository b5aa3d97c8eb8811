// parley pipe: text conversation on stdin/stdout — one user turn per line, replies streamed.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "assistant/commands.h"
#include "kernels/thread_pool.h"
#include "llm/conversation.h"
#include "llm/model.h"
#include "llm/session.h"

namespace parley::assistant {
namespace {

struct PipeOptions {
  std::string model_path;
  std::string system_prompt;
  int32_t max_tokens = 256;
  int threads = 0;
  int32_t context_length = 0;
  bool raw = false;
  bool f32_cache = false;
  std::vector<std::string> stop;
  llm::SamplerConfig sampler;
};

void run_pipe(const PipeOptions& options) {
  auto model = llm::Model::load(options.model_path);
  kernels::ThreadPool pool(options.threads > 0 ? options.threads : kernels::ThreadPool::default_thread_count());
  llm::SessionConfig session_config;
  session_config.context_length = options.context_length;
  session_config.kv_type = options.f32_cache ? kernels::DType::F32 : kernels::DType::F16;
  llm::Session session(*model, pool, session_config);
  llm::ConversationConfig config;
  config.system_prompt = options.system_prompt;
  config.max_tokens = options.max_tokens;
  config.stop = options.stop;
  config.sampler = options.sampler;
  config.use_template = !options.raw;
  llm::Conversation chat(session, config);
  chat.prime();
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    chat.reply(line, [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    });
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
}

}  // namespace

void add_pipe_command(CLI::App& app) {
  auto options = std::make_shared<PipeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pipe", "Text conversation: one user turn per stdin line, each reply streamed to stdout");
  cmd->add_option("--llm", options->model_path, "GGUF language model")->required()->check(CLI::ExistingFile);
  cmd->add_option("--system", options->system_prompt, "System prompt");
  cmd->add_option("-n,--max-tokens", options->max_tokens, "Most tokens per reply")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--temp", options->sampler.temperature, "Sampling temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-k", options->sampler.top_k, "Top-k (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", options->sampler.top_p, "Top-p (1 = off)")->capture_default_str();
  cmd->add_option("--min-p", options->sampler.min_p, "Min-p (0 = off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", options->sampler.repetition_penalty, "Repetition penalty (1 = off)")->capture_default_str();
  cmd->add_option("--seed", options->sampler.seed, "Random seed")->capture_default_str();
  cmd->add_option("--stop", options->stop, "Stop string (repeatable)");
  cmd->add_option("--threads", options->threads, "Threads (default: all cores)");
  cmd->add_option("--ctx", options->context_length, "Context length in tokens (default: model's, at most 4096)");
  cmd->add_flag("--raw", options->raw, "No template, no history: each line is a prompt to continue");
  cmd->add_flag("--f32-cache", options->f32_cache, "Keep the KV cache in f32 instead of f16");
  cmd->callback([options] { run_pipe(*options); });
}

}  // namespace parley::assistant
