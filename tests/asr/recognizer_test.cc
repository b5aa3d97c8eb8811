// Recognizer / Stream / search / context graph: hand-computed context-graph scores, BPE word
// joining and timestamps, hotword encoding, endpoint reset-and-continue through the recognizer,
// chunking invariance, threads, allocations per chunk, and malformed model folders.
// Models: the committed tiny LSTM fixture (tests/asr/fixtures/lstm_tiny) and, when present, the
// shared Zipformer2 graph.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <random>
#include <thread>

#include "asr/context_graph.h"
#include "asr/recognizer.h"
#include "kernels/error.h"

// Counts heap allocations (for the allocation-per-chunk measurement). GCC flags the malloc/free
// pair of a replaced global operator new/delete as mismatched once inlined: a false positive.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static std::atomic<int64_t> g_allocations{0};
void* operator new(size_t bytes) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(bytes ? bytes : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace parley::asr {
namespace {

namespace fs = std::filesystem;

std::string lstm_dir() { return std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny"; }

// Deterministic speech-like test signal: noise bursts with pauses, 16 kHz.
std::vector<float> test_signal(double seconds, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  std::vector<float> samples(static_cast<size_t>(seconds * 16000));
  for (size_t i = 0; i < samples.size(); ++i) {
    const double t = static_cast<double>(i) / 16000;
    const bool voiced = std::fmod(t, 1.3) < 0.8;
    samples[i] = voiced ? static_cast<float>(0.3 * std::sin(2 * M_PI * 220 * t)) + noise(rng)
                        : 0.01f * noise(rng);
  }
  return samples;
}

// ---- context graph -------------------------------------------------------------------------

TEST(ContextGraph, ScoresFollowPhraseAndGiveBackOnFailure) {
  // Phrases "1 2 3" (bonus 1 per token) and "2 4" (bonus 2 per token).
  const ContextGraph graph({{{1, 2, 3}, 1.0f, "a"}, {{2, 4}, 2.0f, "b"}}, 1.5f);
  const ContextState* s = graph.root();
  auto [b1, s1] = graph.forward(s, 1);
  EXPECT_FLOAT_EQ(b1, 1.0f);
  auto [b2, s2] = graph.forward(s1, 2);
  EXPECT_FLOAT_EQ(b2, 1.0f);
  // Leaving "1 2" with token 4: the fail link of "1 2" is "2"; "2 4" completes phrase b, whose
  // node_score is 4. Step score = 4 - 2 (give back "1 2") and the match returns to the root.
  auto [b3, s3] = graph.forward(s2, 4);
  EXPECT_FLOAT_EQ(b3, 2.0f);
  EXPECT_EQ(s3, graph.root());
  // Completing "1 2 3": +1, back to the root with the phrase's 3 points kept.
  auto [c1, t1] = graph.forward(graph.root(), 1);
  auto [c2, t2] = graph.forward(t1, 2);
  auto [c3, t3] = graph.forward(t2, 3);
  EXPECT_FLOAT_EQ(c1 + c2 + c3, 3.0f);
  EXPECT_EQ(t3, graph.root());
  // A token outside every phrase from a partial match gives back everything.
  auto [d1, u1] = graph.forward(graph.root(), 1);
  auto [d2, u2] = graph.forward(u1, 9);
  EXPECT_FLOAT_EQ(d1 + d2, 0.0f);
  EXPECT_EQ(u2, graph.root());
  EXPECT_EQ(graph.matched(s2), nullptr);
}

TEST(ContextGraph, DefaultBonusAndValidation) {
  const ContextGraph graph({{{5, 6}, 0.0f, "x"}}, 1.5f);
  auto [b, s] = graph.forward(graph.root(), 5);
  EXPECT_FLOAT_EQ(b, 1.5f);
  EXPECT_EQ(graph.matched(s), nullptr);
  EXPECT_THROW(ContextGraph({{{}, 0.0f, "empty"}}), Error);
  EXPECT_THROW(ContextGraph({{{1}, -1.0f, "neg"}}), Error);
}

// ---- tokens, words, hotwords ---------------------------------------------------------------

const char* kTable =
    "<blk> 0\n<sos/eos> 1\n<unk> 2\n\xe2\x96\x81HE 3\nLLO 4\n\xe2\x96\x81WOR 5\nLD 6\n\xe2\x96\x81 7\n"
    "X 8\nH 9\nE 10\n";

TEST(Words, BpeWordStartsJoinPieces) {
  const TokenTable tokens = TokenTable::parse(kTable, "table");
  const std::vector<int64_t> ids = {3, 4, 5, 6, 7, 8};
  const std::vector<double> t = {0.00, 0.04, 0.40, 0.48, 0.80, 0.84};
  const auto words = join_words(tokens, ids, t, 0.04);
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0].text, "HELLO");
  EXPECT_DOUBLE_EQ(words[0].start_seconds, 0.00);
  EXPECT_DOUBLE_EQ(words[0].end_seconds, 0.08);
  EXPECT_EQ(words[1].text, "WORLD");
  EXPECT_DOUBLE_EQ(words[1].start_seconds, 0.40);
  EXPECT_DOUBLE_EQ(words[1].end_seconds, 0.52);
  EXPECT_EQ(words[2].text, "X");  // a lone '▁' then "X"
  EXPECT_DOUBLE_EQ(words[2].start_seconds, 0.80);
  EXPECT_EQ(tokens.to_text(ids), "HELLO WORLD X");
}

TEST(Hotwords, EncodeAndLoad) {
  const TokenTable tokens = TokenTable::parse(kTable, "table");
  EXPECT_EQ(encode_phrase(tokens, "hello world"), (std::vector<int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(encode_phrase(tokens, "xhe"), (std::vector<int64_t>{7, 8, 9, 10}));
  EXPECT_THROW(encode_phrase(tokens, "hello zebra"), Error);
  const fs::path path = fs::temp_directory_path() / "parley_hotwords_test.txt";
  {
    std::ofstream out(path);
    out << "# comment\nhey parley :2.5\n\nturn on the lights\n";
  }
  const auto hotwords = load_hotwords(path.string());
  ASSERT_EQ(hotwords.size(), 2u);
  EXPECT_EQ(hotwords[0].phrase, "hey parley");
  EXPECT_FLOAT_EQ(hotwords[0].bonus_per_token, 2.5f);
  EXPECT_EQ(hotwords[1].phrase, "turn on the lights");
  EXPECT_FLOAT_EQ(hotwords[1].bonus_per_token, 0.0f);
  {
    std::ofstream out(path);
    out << "bad :x\n";
  }
  EXPECT_THROW(load_hotwords(path.string()), Error);
  fs::remove(path);
}

// ---- the engine on the tiny LSTM fixture ------------------------------------------------------

RecognitionResult decode_whole(const Recognizer& recognizer, const std::vector<float>& samples,
                               size_t chunk) {
  auto stream = recognizer.create_stream();
  for (size_t pos = 0; pos < samples.size(); pos += chunk) {
    stream->accept(std::span(samples).subspan(pos, std::min(chunk, samples.size() - pos)), 16000);
    stream->decode();
  }
  stream->input_finished();
  return stream->final();
}

TEST(Recognizer, ChunkingDoesNotChangeTheResultAndTimestampsAreFrames) {
  RecognizerConfig config;
  config.enable_endpoint = false;
  const Recognizer recognizer(TransducerModel::load(lstm_dir()), config);
  const std::vector<float> samples = test_signal(3.0);
  const RecognitionResult whole = decode_whole(recognizer, samples, samples.size());
  ASSERT_FALSE(whole.token_ids.empty());
  for (size_t chunk : {160u, 511u, 3200u}) {
    const RecognitionResult r = decode_whole(recognizer, samples, chunk);
    EXPECT_EQ(r.token_ids, whole.token_ids) << "chunk " << chunk;
    EXPECT_EQ(r.timestamps_seconds, whole.timestamps_seconds) << "chunk " << chunk;
  }
  // Timestamps: multiples of 40 ms, non-decreasing, inside the padded audio.
  for (size_t i = 0; i < whole.timestamps_seconds.size(); ++i) {
    const double t = whole.timestamps_seconds[i];
    EXPECT_NEAR(t / 0.04, std::round(t / 0.04), 1e-6);
    if (i > 0) EXPECT_GE(t, whole.timestamps_seconds[i - 1]);
    EXPECT_LT(t, 3.0 + 0.66);
  }
  EXPECT_EQ(whole.tokens.size(), whole.token_ids.size());
  EXPECT_EQ(whole.text, recognizer.model().tokens().to_text(whole.token_ids));
}

TEST(Recognizer, EndpointResetAndContinueLosesNothing) {
  // Rule 3 cut every 0.64 s; greedy search keeps its context across reset(), so the segments
  // together hold exactly the tokens (and absolute timestamps) of the uncut decode.
  RecognizerConfig cut;
  cut.endpoint.rule3.min_utterance_seconds = 0.64f;
  cut.endpoint.vad.enabled = false;
  RecognizerConfig uncut = cut;
  uncut.enable_endpoint = false;
  auto model = TransducerModel::load(lstm_dir());
  const Recognizer with_endpoints(model, cut), without(model, uncut);
  const std::vector<float> samples = test_signal(4.0, 11);
  const RecognitionResult reference = decode_whole(without, samples, 1600);

  auto stream = with_endpoints.create_stream();
  std::vector<int64_t> ids;
  std::vector<double> stamps;
  int endpoints = 0;
  double last_start = -1;
  for (size_t pos = 0; pos < samples.size(); pos += 1600) {
    stream->accept(std::span(samples).subspan(pos, std::min<size_t>(1600, samples.size() - pos)),
                   16000);
    stream->decode();
    if (stream->is_endpoint()) {
      EXPECT_EQ(stream->endpoint_reason(), EndpointReason::kRule3);
      const RecognitionResult r = stream->final();
      EXPECT_GT(r.start_seconds, last_start);
      last_start = r.start_seconds;
      ids.insert(ids.end(), r.token_ids.begin(), r.token_ids.end());
      stamps.insert(stamps.end(), r.timestamps_seconds.begin(), r.timestamps_seconds.end());
      stream->reset();
      EXPECT_FALSE(stream->is_endpoint());
      EXPECT_TRUE(stream->partial().token_ids.empty());
      ++endpoints;
    }
  }
  stream->input_finished();
  const RecognitionResult last = stream->final();
  ids.insert(ids.end(), last.token_ids.begin(), last.token_ids.end());
  stamps.insert(stamps.end(), last.timestamps_seconds.begin(), last.timestamps_seconds.end());
  EXPECT_GE(endpoints, 4);
  EXPECT_EQ(ids, reference.token_ids);
  ASSERT_EQ(stamps.size(), reference.timestamps_seconds.size());
  for (size_t i = 0; i < stamps.size(); ++i) {
    EXPECT_NEAR(stamps[i], reference.timestamps_seconds[i], 1e-9) << i;
  }
}

TEST(Recognizer, VadRuleEndsUtterance) {
  RecognizerConfig config;
  config.endpoint.vad.min_trailing_silence_seconds = 0.5f;
  const Recognizer recognizer(TransducerModel::load(lstm_dir()), config);
  auto stream = recognizer.create_stream();
  stream->accept_vad(0.3, true);
  stream->accept_vad(0.3, false);
  EXPECT_FALSE(stream->is_endpoint());
  stream->accept_vad(0.3, false);
  EXPECT_TRUE(stream->is_endpoint());
  EXPECT_EQ(stream->endpoint_reason(), EndpointReason::kVad);
  stream->reset();
  EXPECT_FALSE(stream->is_endpoint());
}

TEST(Recognizer, BeamWithHotwordsRunsAndStreamsAreIndependentAcrossThreads) {
  RecognizerConfig config;
  config.method = DecodingMethod::kBeam;
  config.enable_endpoint = false;
  config.hotwords = {{"hello", 0.0f}};
  const Recognizer recognizer(TransducerModel::load(lstm_dir()), config);
  ASSERT_NE(recognizer.context_graph(), nullptr);
  const std::vector<float> a = test_signal(2.0, 1), b = test_signal(2.0, 2);
  const RecognitionResult ra = decode_whole(recognizer, a, 1600);
  const RecognitionResult rb = decode_whole(recognizer, b, 1600);
  RecognitionResult ta, tb;
  std::thread t1([&] { ta = decode_whole(recognizer, a, 1600); });
  std::thread t2([&] { tb = decode_whole(recognizer, b, 1600); });
  t1.join();
  t2.join();
  EXPECT_EQ(ta.token_ids, ra.token_ids);
  EXPECT_EQ(tb.token_ids, rb.token_ids);
}

TEST(Recognizer, AllocationsPerChunkAfterWarmUp) {
  RecognizerConfig config;
  config.enable_endpoint = false;
  const Recognizer recognizer(TransducerModel::load(lstm_dir()), config);
  for (DecodingMethod method : {DecodingMethod::kGreedy, DecodingMethod::kBeam}) {
    RecognizerConfig c = config;
    c.method = method;
    const Recognizer r(recognizer.shared_model(), c);
    auto stream = r.create_stream();
    const std::vector<float> samples = test_signal(6.0, 3);
    const size_t chunk = 5120;  // one encoder chunk (32 frames x 160 samples)
    size_t pos = 0;
    for (int i = 0; i < 6; ++i, pos += chunk) {  // warm-up
      stream->accept(std::span(samples).subspan(pos, chunk), 16000);
      stream->decode();
    }
    const int64_t chunks_before = stream->chunks_decoded();
    const int64_t before = g_allocations.load();
    for (; pos + chunk <= samples.size(); pos += chunk) {
      stream->accept(std::span(samples).subspan(pos, chunk), 16000);
      stream->decode();
    }
    const int64_t allocations = g_allocations.load() - before;
    const int64_t chunks = stream->chunks_decoded() - chunks_before;
    ASSERT_GT(chunks, 0);
    const double per_chunk = static_cast<double>(allocations) / static_cast<double>(chunks);
    std::printf("%s: %.1f heap allocations per chunk after warm-up (%lld chunks)\n",
                method == DecodingMethod::kBeam ? "beam" : "greedy", per_chunk,
                static_cast<long long>(chunks));
    // What remains is onnx::Session::run's result vectors (one per encoder/decoder/joiner run):
    // bounded by the runs per chunk, never by the audio length.
    EXPECT_LT(per_chunk, 200.0);
  }
}

// ---- malformed model folders -----------------------------------------------------------------

fs::path copy_fixture(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("parley_asr_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(lstm_dir())) {
    fs::copy_file(entry.path(), dir / entry.path().filename());
  }
  return dir;
}

std::string load_error(const fs::path& dir) {
  try {
    TransducerModel::load(dir.string());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TransducerModel, MalformedFolders) {
  const auto model = TransducerModel::load(lstm_dir());
  EXPECT_EQ(model->family(), "lstm");
  EXPECT_EQ(model->layout().chunk_frames, 39);
  EXPECT_EQ(model->layout().chunk_shift_frames, 32);
  EXPECT_EQ(model->context_size(), 2);

  fs::path dir = copy_fixture("missing");
  fs::remove(dir / "joiner.onnx");
  EXPECT_NE(load_error(dir).find("joiner.onnx: missing"), std::string::npos) << load_error(dir);

  dir = copy_fixture("tokens");
  {
    std::ofstream out(dir / "tokens.txt");
    out << "<blk> 0\na 1\nb 2\n";
  }
  std::string error = load_error(dir);
  EXPECT_NE(error.find("tokens.txt: 3 tokens"), std::string::npos) << error;
  EXPECT_NE(error.find("joiner"), std::string::npos) << error;

  dir = copy_fixture("swapped");
  fs::copy_file(dir / "joiner.onnx", dir / "decoder.onnx", fs::copy_options::overwrite_existing);
  error = load_error(dir);
  EXPECT_NE(error.find("decoder.onnx"), std::string::npos) << error;

  dir = copy_fixture("not_onnx");
  {
    std::ofstream out(dir / "encoder.onnx");
    out << "not a model";
  }
  error = load_error(dir);
  EXPECT_NE(error.find("encoder.onnx"), std::string::npos) << error;

  const fs::path zipformer = fs::path(PARLEY_SHARED_TESTDATA) / "asr/zipformer2_small_random";
  if (fs::exists(zipformer)) {
    dir = copy_fixture("mixed");
    fs::copy_file(zipformer / "encoder.onnx", dir / "encoder.onnx",
                  fs::copy_options::overwrite_existing);
    error = load_error(dir);
    EXPECT_NE(error.find("encoder.onnx"), std::string::npos) << error;
    EXPECT_NE(error.find("does not match joiner"), std::string::npos) << error;
    fs::remove_all(dir);
  }
  EXPECT_NE(load_error("/nonexistent/model").find("not a directory"), std::string::npos);
  for (const char* name : {"missing", "tokens", "swapped", "not_onnx"}) {
    fs::remove_all(fs::temp_directory_path() / (std::string("parley_asr_") + name));
  }
}

}  // namespace
}  // namespace parley::asr
