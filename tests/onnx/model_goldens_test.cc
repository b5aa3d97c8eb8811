// The exact sherpa-onnx Zipformer2 graphs (encoder over two chained chunks, decoder, joiner) and
// the Piper VITS graph against ONNX Runtime's outputs in ../shared/testdata (ONNX test-data
// layout: input_N.pb / output_N.pb in graph input/output order), atol 1e-4 / rtol 1e-3.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"
#include "kernels/thread_pool.h"

namespace parley::onnx {
namespace {

const std::string kData = PARLEY_SHARED_TESTDATA;

struct Case {
  const char* name;
  const char* model;     // relative to testdata
  const char* data_set;  // relative to testdata
};

std::vector<OwnedValue> load_set(const std::string& dir, const char* prefix) {
  std::vector<OwnedValue> values;
  for (int i = 0;; ++i) {
    const std::string path = dir + "/" + prefix + std::to_string(i) + ".pb";
    if (!std::filesystem::exists(path)) break;
    values.push_back(load_tensor_file(path));
  }
  return values;
}

class ModelGolden : public ::testing::TestWithParam<Case> {};

TEST_P(ModelGolden, MatchesOnnxRuntime) {
  const Case c = GetParam();
  const std::string model_path = kData + "/" + c.model;
  const std::string set_dir = kData + "/" + c.data_set;
  if (!std::filesystem::exists(model_path) || !std::filesystem::exists(set_dir))
    GTEST_SKIP() << "shared test data absent: " << model_path;
  auto model = Model::load(model_path);
  const std::vector<OwnedValue> inputs = load_set(set_dir, "input_");
  const std::vector<OwnedValue> expected = load_set(set_dir, "output_");
  ASSERT_EQ(inputs.size(), model->inputs().size());
  ASSERT_FALSE(expected.empty());
  std::vector<std::pair<std::string, Value>> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) feeds.emplace_back(model->inputs()[i].name, inputs[i].value);
  kernels::ThreadPool pool(2);
  Session session(model, pool);
  const std::vector<Value> outputs = session.run(feeds);
  ASSERT_GE(outputs.size(), expected.size());
  for (size_t o = 0; o < expected.size(); ++o) {
    const Value& got = outputs[o];
    const Value& want = expected[o].value;
    ASSERT_EQ(got.type, want.type) << "output " << o;
    ASSERT_EQ(got.element_count(), want.element_count()) << "output " << o;
    if (want.type == ElemType::kInt64) {  // e.g. the encoder's processed_lens: exact
      for (int64_t i = 0; i < want.element_count(); ++i)
        EXPECT_EQ(got.data<int64_t>()[i], want.data<int64_t>()[i]) << "output " << o << " [" << i << "]";
      continue;
    }
    ASSERT_EQ(want.type, ElemType::kFloat) << "output " << o;
    const float* g = got.data<float>();
    const float* w = want.data<float>();
    double worst = 0;
    int64_t bad = 0;
    for (int64_t i = 0; i < want.element_count(); ++i) {
      const double diff = std::abs(double(g[i]) - w[i]);
      worst = std::max(worst, diff);
      if (!(diff <= 1e-4 + 1e-3 * std::abs(double(w[i])))) ++bad;
    }
    std::printf("[ %s ] output %zu (%s): %lld values, max |diff| %.3g\n", c.name, o,
                model->outputs()[o].name.c_str(), static_cast<long long>(want.element_count()), worst);
    EXPECT_EQ(bad, 0) << c.name << " output " << o << " has values outside atol 1e-4 / rtol 1e-3";
  }
}

INSTANTIATE_TEST_SUITE_P(
    SharedGraphs, ModelGolden,
    ::testing::Values(
        Case{"zipformer2_encoder_set0", "asr/zipformer2_small_random/encoder.onnx",
             "asr/zipformer2_small_random/golden/zipformer2_encoder/test_data_set_0"},
        Case{"zipformer2_encoder_set1", "asr/zipformer2_small_random/encoder.onnx",
             "asr/zipformer2_small_random/golden/zipformer2_encoder/test_data_set_1"},
        Case{"zipformer2_decoder", "asr/zipformer2_small_random/decoder.onnx",
             "asr/zipformer2_small_random/golden/zipformer2_decoder/test_data_set_0"},
        Case{"zipformer2_joiner", "asr/zipformer2_small_random/joiner.onnx",
             "asr/zipformer2_small_random/golden/zipformer2_joiner/test_data_set_0"},
        Case{"piper_vits", "tts/piper_vits_medium_random/model.onnx",
             "tts/piper_vits_medium_random/golden/test_data_set_0"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace parley::onnx
