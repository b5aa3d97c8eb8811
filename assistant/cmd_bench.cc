// parley bench llm MODEL: prefill and decode speed, one JSON line.
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "assistant/commands.h"
#include "kernels/cpu.h"
#include "kernels/thread_pool.h"
#include "llm/model.h"
#include "llm/session.h"

namespace parley::assistant {
namespace {

struct BenchOptions {
  std::string model_path;
  int threads = 0;
  int32_t prompt_tokens = 128;
  int32_t gen_tokens = 64;
  int repetitions = 3;
};

void bench_llm(const BenchOptions& o) {
  using clock = std::chrono::steady_clock;
  auto model = llm::Model::load(o.model_path);
  const int threads = o.threads > 0 ? o.threads : kernels::ThreadPool::default_thread_count();
  kernels::ThreadPool pool(threads);
  llm::SessionConfig config;
  config.context_length = o.prompt_tokens + o.gen_tokens + 1;
  config.max_batch = std::min(o.prompt_tokens, 512);
  llm::Session session(*model, pool, config);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> token(3, model->hparams().n_vocab - 1);
  std::vector<int32_t> prompt(static_cast<size_t>(o.prompt_tokens));
  for (auto& t : prompt) t = token(rng);
  double best_prefill = 1e30, best_decode = 1e30;
  for (int rep = 0; rep < o.repetitions; ++rep) {
    session.rewind(0);
    const auto t0 = clock::now();
    session.decode(prompt);
    const auto t1 = clock::now();
    for (int32_t i = 0; i < o.gen_tokens; ++i) {
      const int32_t next = token(rng);
      session.decode({&next, 1});
    }
    const auto t2 = clock::now();
    best_prefill = std::min(best_prefill, std::chrono::duration<double>(t1 - t0).count());
    best_decode = std::min(best_decode, std::chrono::duration<double>(t2 - t1).count());
  }
  // Bytes of weights one decode step reads: every tensor except the embedding table, of which
  // only one row is read (unless it doubles as the tied output matrix).
  uint64_t weight_bytes = 0;
  for (const auto& t : model->gguf().tensors()) weight_bytes += t.size_bytes;
  const kernels::Tensor& embd = model->token_embedding();
  if (embd.data() != model->output().data()) {
    weight_bytes -= static_cast<uint64_t>(embd.byte_size());
    weight_bytes += static_cast<uint64_t>(kernels::row_bytes(embd.dtype(), embd.dim(1)));
  }
  nlohmann::json j;
  j["model"] = o.model_path;
  j["threads"] = threads;
  j["isa"] = std::string(kernels::isa_name(kernels::active_isa()));
  j["prompt_tokens"] = o.prompt_tokens;
  j["gen_tokens"] = o.gen_tokens;
  j["prefill_tokens_per_s"] = o.prompt_tokens / best_prefill;
  j["decode_tokens_per_s"] = o.gen_tokens / best_decode;
  j["weight_bytes_per_token"] = weight_bytes;
  j["decode_weight_GBps"] = static_cast<double>(weight_bytes) * o.gen_tokens / best_decode / 1e9;
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

void add_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Measure engine speed");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchOptions>();
  CLI::App* llm_cmd = bench->add_subcommand("llm", "Prefill and decode tokens/s of a GGUF model (one JSON line)");
  llm_cmd->add_option("model", o->model_path, "GGUF model")->required()->check(CLI::ExistingFile);
  llm_cmd->add_option("--threads", o->threads, "Threads (default: all cores)");
  llm_cmd->add_option("--prompt-tokens", o->prompt_tokens, "Prompt length")->capture_default_str()->check(CLI::PositiveNumber);
  llm_cmd->add_option("--gen-tokens", o->gen_tokens, "Generated tokens")->capture_default_str()->check(CLI::PositiveNumber);
  llm_cmd->add_option("--repetitions", o->repetitions, "Runs; the best is reported")->capture_default_str()->check(CLI::PositiveNumber);
  llm_cmd->callback([o] { bench_llm(*o); });
}

}  // namespace parley::assistant
