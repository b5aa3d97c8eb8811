// What constrained tool-call decoding (llm/tool_call_grammar.h) costs per token, against the same
// sampler without a constraint in the same run:
//   * Sample/<vocab>/<mode>: one Sampler::sample() on a fixed logits row (copied in each
//     iteration), the constraint in the state "inside a call, the arguments' first key is next"
//     (few tokens allowed) and the model's favourite a refused token. mode 0: greedy, no
//     constraint (reference); 1: greedy, constrained (the top-64 scan); 2: temperature 1, top-k
//     off, no constraint (reference); 3: the same constrained (the draw is refused: the whole
//     vocabulary is checked, then a second draw).
//   * Outside/<vocab>: greedy outside any call (the common case: one check per token).
//   * Build/<vocab>: making a ToolCallConstraint (what each HTTP request with tools pays).
// Vocabularies: 1,536 (Parley's default chat model) and 151,936 (Qwen2.5's size; random pieces
// plus the 256 byte tokens, written with write_random_model).
//
//   build/bench/bench_tool_grammar [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "llm/gguf.h"
#include "llm/random_model.h"
#include "llm/sampler.h"
#include "llm/tokenizer.h"
#include "llm/tool_call_grammar.h"

namespace {

using namespace parley::llm;

struct Vocab {
  std::unique_ptr<GgufFile> gguf;
  std::unique_ptr<Tokenizer> tok;
};

const Vocab& vocab(int64_t n) {
  static std::vector<std::pair<int64_t, Vocab>> cache;
  for (auto& [size, v] : cache) {
    if (size == n) return v;
  }
  Vocab v;
  if (n == 1536) {
    v.gguf = std::make_unique<GgufFile>(std::string(PARLEY_SOURCE_DIR) + "/models/llm/parley-chat.gguf");
  } else {
    const std::string path = "/tmp/parley_bench_grammar_" + std::to_string(::getpid()) + ".gguf";
    RandomModelSpec spec;
    spec.n_vocab = static_cast<int32_t>(n);
    spec.n_embd = 32;
    spec.n_layer = 1;
    spec.n_head = 2;
    spec.n_head_kv = 1;
    spec.n_ff = 32;
    spec.weight_type = "f32";
    write_random_model(spec, path);
    v.gguf = std::make_unique<GgufFile>(path);
    std::remove(path.c_str());  // the mapping stays valid
  }
  v.tok = std::make_unique<Tokenizer>(*v.gguf);
  cache.emplace_back(n, std::move(v));
  return cache.back().second;
}

std::vector<ToolCallSpec> tools() {
  ToolCallParameter duration;
  duration.name = "duration";
  duration.type = ToolCallParameter::Type::kString;
  duration.required = true;
  ToolCallParameter label;
  label.name = "label";
  label.type = ToolCallParameter::Type::kString;
  ToolCallParameter level;
  level.name = "level";
  level.type = ToolCallParameter::Type::kInteger;
  level.minimum = 0;
  level.maximum = 100;
  return {{"get_time", {}}, {"set_timer", {duration, label}}, {"set_volume", {level}}};
}

std::vector<float> logits_row(int32_t n) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> row(static_cast<size_t>(n));
  for (float& x : row) x = normal(rng);
  return row;
}

// Fed "<tool_call>\n{"name": "set_timer", "arguments": {"" byte token by byte token.
void open_call(const Tokenizer& tok, ToolCallConstraint& c) {
  c.reset();
  for (TokenId t : tok.encode("<tool_call>\n{\"name\": \"set_timer\", \"arguments\": {\"", {.parse_special = true}))
    c.accept(t);
}

void Sample(benchmark::State& state) {
  const Vocab& v = vocab(state.range(0));
  const int mode = static_cast<int>(state.range(1));
  const int32_t n = v.tok->vocab_size();
  ToolCallConstraint constraint(*v.tok, tools());
  open_call(*v.tok, constraint);
  std::vector<float> row = logits_row(n);
  SamplerConfig config;
  if (mode >= 2) {
    config.temperature = 1.0f;
    config.top_k = 0;
    config.min_p = 0.0f;
    config.top_p = 1.0f;
  }
  Sampler sampler(config, n);
  if (mode == 1 || mode == 3) sampler.set_constraint(&constraint);
  // Make the favourite (and most of the mass) a refused token.
  const TokenId refused = v.tok->encode("zzz", {}).front();
  row[static_cast<size_t>(refused)] = 60.0f;
  std::vector<float> scratch;
  for (auto _ : state) {
    scratch = row;
    benchmark::DoNotOptimize(sampler.sample(scratch.data()));
  }
}

void Outside(benchmark::State& state) {
  const Vocab& v = vocab(state.range(0));
  const int32_t n = v.tok->vocab_size();
  ToolCallConstraint constraint(*v.tok, tools());
  const std::vector<float> row = logits_row(n);
  Sampler sampler({}, n);
  if (state.range(1) != 0) sampler.set_constraint(&constraint);
  std::vector<float> scratch;
  for (auto _ : state) {
    scratch = row;
    benchmark::DoNotOptimize(sampler.sample(scratch.data()));
  }
}

void Build(benchmark::State& state) {
  const Vocab& v = vocab(state.range(0));
  for (auto _ : state) {
    ToolCallConstraint constraint(*v.tok, tools());
    benchmark::DoNotOptimize(&constraint);
  }
}

BENCHMARK(Sample)->ArgsProduct({{1536, 151936}, {0, 1, 2, 3}})->Unit(benchmark::kMicrosecond);
BENCHMARK(Outside)->ArgsProduct({{1536, 151936}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(Build)->Arg(1536)->Arg(151936)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
