// Every Silero VAD model in shared testdata streamed over two WAV files: per-chunk speech
// probabilities must match ONNX Runtime's (vad/ref_ort/*.txt) within 1e-4.
//
// Protocols (PROVENANCE.md): v4 takes input[1,512], sr, h[2,1,64], c[2,1,64] -> output, hn, cn;
// v5/v6 take input[1,576] (previous 64 samples + 512 new ones), sr, state[2,1,128] -> output,
// stateN. "half" has no sr input. Inputs are matched by name from the model's declarations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"

namespace parley::onnx {
namespace {

namespace fs = std::filesystem;

// Minimal RIFF/WAVE reader: 16-bit PCM mono only (what the test files are).
std::vector<float> read_wav_mono16(const std::string& path, int& sample_rate_hz) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  auto u16 = [&](size_t at) {
    uint16_t v;
    std::memcpy(&v, bytes.data() + at, 2);
    return v;
  };
  if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 4, "WAVE") != 0) {
    throw Error(path + ": not a RIFF/WAVE file");
  }
  std::vector<float> samples;
  int channels = 0, bits = 0;
  for (size_t at = 12; at + 8 <= bytes.size();) {
    const std::string id = bytes.substr(at, 4);
    const size_t size = u32(at + 4);
    if (at + 8 + size > bytes.size()) throw Error(path + ": chunk '" + id + "' overruns the file");
    if (id == "fmt ") {
      channels = u16(at + 10);
      sample_rate_hz = static_cast<int>(u32(at + 12));
      bits = u16(at + 22);
    } else if (id == "data") {
      if (channels != 1 || bits != 16) throw Error(path + ": only 16-bit mono is read here");
      for (size_t i = 0; i + 1 < size; i += 2) {
        int16_t s;
        std::memcpy(&s, bytes.data() + at + 8 + i, 2);
        samples.push_back(s / 32768.0f);
      }
    }
    at += 8 + size + (size & 1);
  }
  return samples;
}

std::vector<float> read_reference(const std::string& path) {
  std::ifstream in(path);
  std::vector<float> probs;
  double time_s, p;
  while (in >> time_s >> p) probs.push_back(static_cast<float>(p));
  return probs;
}

const ValueInfo* find_input(const Model& m, const std::string& name) {
  for (const ValueInfo& v : m.inputs()) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

Shape fixed_shape(const ValueInfo& info, const Shape& fallback) {
  if (!info.has_shape) return fallback;
  Shape s;
  for (int64_t d : info.dims) s.push_back(d < 0 ? 1 : d);
  return s;
}

// Streams `audio` through the model; returns one probability per 512-sample chunk.
std::vector<float> stream(const std::shared_ptr<const Model>& model,
                          const std::vector<float>& audio) {
  kernels::ThreadPool pool(1);
  Session session(model, pool);
  const bool v4 = find_input(*model, "h") != nullptr;
  const int64_t kChunk = 512, kContext = v4 ? 0 : 64;
  const ValueInfo* sr_info = find_input(*model, "sr");
  int64_t sr = 16000;
  std::vector<float> state_a(v4 ? 2 * 64 : 2 * 128, 0.0f), state_b(v4 ? 2 * 64 : 0, 0.0f);
  std::vector<float> window(kContext + kChunk, 0.0f);
  std::vector<float> probs;
  for (size_t start = 0; start + kChunk <= audio.size(); start += kChunk) {
    std::memmove(window.data(), window.data() + kChunk, kContext * sizeof(float));
    std::memcpy(window.data() + kContext, audio.data() + start, kChunk * sizeof(float));
    std::vector<std::pair<std::string, Value>> feeds;
    feeds.emplace_back("input", Value{ElemType::kFloat, Shape{1, kContext + kChunk}, window.data()});
    if (sr_info != nullptr) {
      feeds.emplace_back("sr", Value{ElemType::kInt64, fixed_shape(*sr_info, Shape{}), &sr});
    }
    std::vector<Value> out;
    if (v4) {
      feeds.emplace_back("h", Value{ElemType::kFloat, Shape{2, 1, 64}, state_a.data()});
      feeds.emplace_back("c", Value{ElemType::kFloat, Shape{2, 1, 64}, state_b.data()});
      out = session.run(feeds, {"output", "hn", "cn"});
      std::memcpy(state_a.data(), out[1].raw, state_a.size() * sizeof(float));
      std::memcpy(state_b.data(), out[2].raw, state_b.size() * sizeof(float));
    } else {
      feeds.emplace_back("state", Value{ElemType::kFloat, Shape{2, 1, 128}, state_a.data()});
      out = session.run(feeds, {"output", "stateN"});
      EXPECT_EQ(out[1].element_count(), static_cast<int64_t>(state_a.size()));
      std::memcpy(state_a.data(), out[1].raw, state_a.size() * sizeof(float));
    }
    EXPECT_EQ(out[0].type, ElemType::kFloat);
    EXPECT_EQ(out[0].element_count(), 1);
    probs.push_back(out[0].data<float>()[0]);
  }
  return probs;
}

class SileroVad : public ::testing::TestWithParam<std::string> {};

TEST_P(SileroVad, MatchesOnnxRuntimePerChunk) {
  const std::string dir = std::string(PARLEY_SHARED_TESTDATA) + "/vad";
  const std::string model_path = dir + "/" + GetParam() + ".onnx";
  if (!fs::exists(model_path)) GTEST_SKIP() << model_path << " absent";
  std::shared_ptr<const Model> model = Model::load(model_path);  // throws listing missing ops
  const std::vector<std::pair<std::string, std::string>> wavs = {
      {dir + "/silero_test.wav", "silero_test"},
      {std::string(PARLEY_SHARED_TESTDATA) + "/audio/espeak_en_16k.wav", "espeak_16k"}};
  for (const auto& [wav, tag] : wavs) {
    const std::string ref_path = dir + "/ref_ort/" + GetParam() + "_t1_" + tag + ".txt";
    if (!fs::exists(wav) || !fs::exists(ref_path)) continue;
    int rate_hz = 0;
    std::vector<float> audio = read_wav_mono16(wav, rate_hz);
    ASSERT_EQ(rate_hz, 16000) << wav;
    std::vector<float> expected = read_reference(ref_path);
    std::vector<float> actual = stream(model, audio);
    ASSERT_EQ(actual.size(), expected.size()) << tag;
    float max_diff = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
      max_diff = std::max(max_diff, std::fabs(actual[i] - expected[i]));
      ASSERT_NEAR(actual[i], expected[i], 1e-4) << tag << " chunk " << i;
    }
    std::printf("%s on %s: %zu chunks, max |diff| %.2e\n", GetParam().c_str(), tag.c_str(),
                actual.size(), max_diff);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, SileroVad,
                         ::testing::Values("silero_vad_v4", "silero_vad_v5",
                                           "silero_vad_v5_16k_op15", "silero_vad_v6.2",
                                           "silero_vad_v6.2_16k_op15",
                                           "silero_vad_v6.2_op18_ifless", "silero_vad_half"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace parley::onnx
