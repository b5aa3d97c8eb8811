// parley bench llm MODEL: prefill and decode speed, one JSON line.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "assistant/commands.h"
#include "kernels/cpu.h"
#include "kernels/gemm.h"
#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"
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
  kernels::set_blas_thread_count(threads);  // f32 prefill products go through OpenBLAS
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

struct OnnxBenchOptions {
  std::string model_path;
  std::string inputs_dir;
  int threads = 1;
  int runs = 10;
};

// Runs an ONNX model on the input_N.pb files of an ONNX test-data folder (graph input order).
void bench_onnx(const OnnxBenchOptions& o) {
  using clock = std::chrono::steady_clock;
  auto model = onnx::Model::load(o.model_path);
  std::vector<onnx::OwnedValue> inputs;
  for (size_t i = 0; i < model->inputs().size(); ++i) {
    const std::string path = o.inputs_dir + "/input_" + std::to_string(i) + ".pb";
    inputs.push_back(onnx::load_tensor_file(path));
  }
  std::vector<std::pair<std::string, onnx::Value>> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) feeds.emplace_back(model->inputs()[i].name, inputs[i].value);
  kernels::ThreadPool pool(o.threads);
  kernels::set_blas_thread_count(o.threads);  // OpenBLAS products use the same thread count
  onnx::Session session(model, pool);
  const auto first_start = clock::now();
  session.run(feeds);  // warm-up: page faults, arena growth
  const double first_ms = std::chrono::duration<double, std::milli>(clock::now() - first_start).count();
  // CPU time of the process as well: on a shared machine it is steadier than wall time.
  auto cpu_ms = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
  };
  std::vector<double> times, cpu_times;
  for (int r = 0; r < o.runs; ++r) {
    const auto start = clock::now();
    const double cpu_start = cpu_ms();
    session.run(feeds);
    cpu_times.push_back(cpu_ms() - cpu_start);
    times.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  nlohmann::json j;
  j["model"] = o.model_path;
  j["threads"] = o.threads;
  j["runs"] = o.runs;
  j["first_run_ms"] = first_ms;
  j["best_ms"] = times.front();
  j["median_ms"] = times[times.size() / 2];
  j["best_cpu_ms"] = cpu_times.front();
  j["median_cpu_ms"] = cpu_times[cpu_times.size() / 2];
  j["isa"] = std::string(kernels::isa_name(kernels::active_isa()));
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

  auto onnx_options = std::make_shared<OnnxBenchOptions>();
  CLI::App* onnx_cmd = bench->add_subcommand("onnx", "Milliseconds per run of an ONNX model on input_N.pb files (one JSON line)");
  onnx_cmd->add_option("model", onnx_options->model_path, "ONNX model")->required()->check(CLI::ExistingFile);
  onnx_cmd->add_option("--inputs", onnx_options->inputs_dir, "Folder with input_0.pb, input_1.pb, ... in graph input order")->required()->check(CLI::ExistingDirectory);
  onnx_cmd->add_option("--threads", onnx_options->threads, "Threads")->capture_default_str()->check(CLI::PositiveNumber);
  onnx_cmd->add_option("--runs", onnx_options->runs, "Timed runs after one warm-up")->capture_default_str()->check(CLI::PositiveNumber);
  onnx_cmd->callback([onnx_options] { bench_onnx(*onnx_options); });
  add_bench_tts_subcommand(bench);
  add_bench_asr_subcommand(bench);
  add_bench_vad_subcommand(bench);
}

}  // namespace parley::assistant
