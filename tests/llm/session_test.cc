// Session, Conversation, Sampler and the random-model writer on small synthetic models.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "kernels/error.h"
#include "kernels/thread_pool.h"
#include "llm/conversation.h"
#include "llm/model.h"
#include "llm/random_model.h"
#include "llm/sampler.h"
#include "llm/session.h"

namespace parley::llm {
namespace {

std::string tiny_model_path(const std::string& type, int32_t layers = 2) {
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_tiny_" + type + "_" + std::to_string(layers) + ".gguf";
  if (!std::filesystem::exists(path)) {
    RandomModelSpec spec;
    spec.name = "tiny";
    spec.n_vocab = 320;
    spec.n_embd = 256;
    spec.n_layer = layers;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.n_ff = 512;
    spec.context_length = 512;
    spec.weight_type = type;
    write_random_model(spec, path);
  }
  return path;
}

TEST(RandomModel, WritesALoadableModelWithTheRequestedShape) {
  for (const std::string type : {"f32", "q8_0", "q4_k_m"}) {
    auto model = Model::load(tiny_model_path(type));
    const HyperParams& h = model->hparams();
    EXPECT_EQ(h.n_vocab, 320);
    EXPECT_EQ(h.n_embd, 256);
    EXPECT_EQ(h.n_layer, 2);
    EXPECT_EQ(h.n_head_kv, 2);
    EXPECT_EQ(h.head_dim, 64);
    EXPECT_EQ(h.n_ff, 512);
    // embeddings + output + 2 layers x (4 attn + 3 ffn matrices + 2 norms) + output norm
    const int64_t per_layer = 256 * 256 * 2 + 2 * 128 * 256 + 3 * 512 * 256 + 2 * 256;
    EXPECT_EQ(model->parameter_count(), 2 * 320 * 256 + 256 + 2 * per_layer) << type;
  }
  EXPECT_THROW(random_model_shape("no-such-shape"), Error);
  RandomModelSpec bad;
  bad.weight_type = "q9_9";
  EXPECT_THROW(write_random_model(bad, ::testing::TempDir() + std::to_string(::getpid()) + "_never.gguf"), Error);
}

TEST(Session, RewindReproducesLogitsAndContextFullChangesNothing) {
  auto model = Model::load(tiny_model_path("q8_0"));
  kernels::ThreadPool pool(2);
  Session session(*model, pool, {.context_length = 16});
  const std::vector<int32_t> prompt = {1, 50, 60, 70, 80};
  std::span<const float> first = session.decode(prompt);
  const std::vector<float> want(first.begin(), first.end());
  session.rewind(2);
  EXPECT_EQ(session.position(), 2);
  std::span<const float> again = session.decode({prompt.data() + 2, 3});
  ASSERT_EQ(again.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(again[i], want[i], 1e-5f);

  const std::vector<int32_t> too_many(12, 7);
  EXPECT_THROW(session.decode(too_many), Error);
  EXPECT_EQ(session.position(), 5);
  EXPECT_THROW(session.decode(std::vector<int32_t>{320}), Error);  // outside the vocabulary
  EXPECT_THROW(session.rewind(6), Error);
  EXPECT_THROW(Session(*model, pool, {.kv_type = kernels::DType::Q4_0}), Error);
}

// Fault: the model file is rewritten in place (`cp other.gguf model.gguf`) while a model is loaded
// from it. The loaded model keeps computing exactly what it computed before (its mapping was copied
// into memory before the writer could touch the file: kernels::MappedFile's lease), and a new load
// of the path reads the new file and rejects it when it is not a model.
TEST(Session, ModelFileRewrittenInPlaceWhileLoadedKeepsTheLoadedModel) {
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_rewritten.gguf";
  std::filesystem::copy_file(tiny_model_path("q8_0"), path, std::filesystem::copy_options::overwrite_existing);
  auto model = Model::load(path);
  kernels::ThreadPool pool(2);
  const std::vector<int32_t> prompt = {1, 50, 60, 70, 80};
  std::vector<float> before;
  {
    Session session(*model, pool, {.context_length = 16});
    std::span<const float> logits = session.decode(prompt);
    before.assign(logits.begin(), logits.end());
  }
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");  // truncates the mapped file to nothing
    ASSERT_NE(f, nullptr);
    std::fputs("not a model any more", f);
    std::fclose(f);
  }
  EXPECT_EQ(std::filesystem::file_size(path), 20u);
  Session session(*model, pool, {.context_length = 16});
  std::span<const float> after = session.decode(prompt);  // SIGBUS here without the lease
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) ASSERT_EQ(after[i], before[i]) << i;
  try {
    Model::load(path);
    ADD_FAILURE() << "a 20-byte file loaded as a model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Session, CancelFromAnotherThreadStopsWithinALayerAndKeepsState) {
  auto model = Model::load(tiny_model_path("f32", 8));
  kernels::ThreadPool pool(1);
  Session session(*model, pool, {.context_length = 512, .max_batch = 512});
  const int32_t bos = 1;
  session.decode({&bos, 1});
  std::atomic<bool> done{false};
  std::thread canceller([&] {
    while (!done.load()) {
      session.request_cancel();
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  const std::vector<int32_t> long_prompt(500, 42);
  std::span<const float> logits = session.decode(long_prompt);
  done = true;
  canceller.join();
  EXPECT_TRUE(logits.empty()) << "a 500-token prefill should take longer than 50 us";
  EXPECT_EQ(session.position(), 1);
  EXPECT_EQ(session.tokens().size(), 1u);
  EXPECT_FALSE(session.decode(std::vector<int32_t>{5, 6}).empty());
  EXPECT_EQ(session.position(), 3);
}

TEST(Conversation, SystemPromptIsPrefilledOnceAndHistoryIsReused) {
  auto model = Model::load(tiny_model_path("q8_0"));
  kernels::ThreadPool pool(2);
  Session session(*model, pool, {.context_length = 512});
  ConversationConfig config;
  config.system_prompt = "You are a kitchen timer.";
  config.max_tokens = 8;
  Conversation chat(session, config);
  chat.prime();
  const int32_t system_tokens = session.position();
  ASSERT_GT(system_tokens, 0);
  std::string streamed;
  const std::string first = chat.reply("Set a timer.", [&](std::string_view p) { streamed += p; });
  EXPECT_EQ(streamed, first);
  EXPECT_GE(chat.last_stats().reused_tokens, system_tokens);
  EXPECT_GE(chat.last_stats().generated_tokens, 1);
  EXPECT_LE(chat.last_stats().generated_tokens, 8);  // random weights may say EOS early
  const int32_t first_prompt = chat.last_stats().prompt_tokens;
  chat.reply("Stop it.");
  // The second turn reuses at least everything up to the end of the first prompt.
  EXPECT_GE(chat.last_stats().reused_tokens, first_prompt);
  EXPECT_EQ(chat.history().size(), 5u);  // system, user, assistant, user, assistant
}

TEST(Conversation, RespondAppendsToolResultsAndReusesTheCache) {
  auto model = Model::load(tiny_model_path("q8_0"));
  kernels::ThreadPool pool(1);
  Session session(*model, pool, {.context_length = 512});
  ConversationConfig config;
  config.system_prompt = "You are a kitchen timer.";
  config.max_tokens = 6;
  Conversation chat(session, config);
  chat.reply("Set a timer.");
  const int32_t after_first = chat.last_stats().prompt_tokens;
  std::string streamed;
  const std::string next = chat.respond({{"tool", "{\"name\":\"set_timer\",\"ok\":true}"}},
                                        [&](std::string_view p) { streamed += p; });
  EXPECT_EQ(streamed, next);
  EXPECT_GE(chat.last_stats().reused_tokens, after_first);
  ASSERT_EQ(chat.history().size(), 5u);  // system, user, assistant, tool, assistant
  EXPECT_EQ(chat.history()[3].role, "tool");
  EXPECT_EQ(chat.history()[4].role, "assistant");
  EXPECT_EQ(chat.history()[4].content, next);

  ConversationConfig raw;
  raw.use_template = false;
  Conversation plain(session, raw);
  EXPECT_THROW(plain.respond({{"tool", "{}"}}), Error);
}

TEST(Conversation, StopStringsCutTheReplyAndAreNeverStreamed) {
  auto model = Model::load(tiny_model_path("q8_0"));
  kernels::ThreadPool pool(1);
  Session session(*model, pool, {.context_length = 256});
  // Learn what the model says greedily, then stop on a piece of it.
  ConversationConfig raw;
  raw.max_tokens = 12;
  raw.use_template = false;
  Conversation probe(session, raw);
  const std::string full = probe.reply("hello");
  ASSERT_GE(full.size(), 6u);
  const std::string stop = full.substr(full.size() / 2, 3);
  raw.stop = {stop};
  Conversation chat(session, raw);
  std::string streamed;
  const std::string cut = chat.reply("hello", [&](std::string_view p) { streamed += p; });
  EXPECT_EQ(cut, full.substr(0, full.find(stop)));
  EXPECT_EQ(streamed, cut);
}

TEST(Sampler, GreedyTopKAndSeedDeterminism) {
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.9f};
  Sampler greedy({}, 4);
  std::vector<float> copy = logits;
  EXPECT_EQ(greedy.sample(copy.data()), 1);

  SamplerConfig top1;
  top1.temperature = 1.0f;
  top1.top_k = 1;
  Sampler sampler(top1, 4);
  for (int i = 0; i < 20; ++i) {
    copy = logits;
    EXPECT_EQ(sampler.sample(copy.data()), 1);
  }
  SamplerConfig random;
  random.temperature = 1.5f;
  random.top_k = 0;
  random.top_p = 1.0f;
  random.min_p = 0.0f;
  random.seed = 99;
  Sampler a(random, 4), b(random, 4);
  std::vector<int> counts(4, 0);
  for (int i = 0; i < 400; ++i) {
    std::vector<float> x = logits, y = logits;
    const int32_t ta = a.sample(x.data());
    EXPECT_EQ(ta, b.sample(y.data()));
    ++counts[static_cast<size_t>(ta)];
  }
  EXPECT_GT(counts[3], 50);  // 1.9 is nearly as likely as 2.0
  EXPECT_GT(counts[1], counts[2]);
}

TEST(Sampler, RepetitionPenaltyAndValidation) {
  SamplerConfig config;
  config.repetition_penalty = 2.0f;
  Sampler sampler(config, 3);
  sampler.accept(1);
  std::vector<float> logits = {1.0f, 1.5f, 0.2f};
  EXPECT_EQ(sampler.sample(logits.data()), 0);  // 1.5 / 2 = 0.75 < 1.0
  EXPECT_FLOAT_EQ(logits[1], 0.75f);

  SamplerConfig bad;
  bad.top_p = 0.0f;
  EXPECT_THROW(bad.validate(), Error);
  bad = {};
  bad.min_p = 2.0f;
  EXPECT_THROW(bad.validate(), Error);
  bad = {};
  bad.temperature = NAN;
  EXPECT_THROW(bad.validate(), Error);
  EXPECT_THROW(Sampler({}, 0), Error);
}

}  // namespace
}  // namespace parley::llm
