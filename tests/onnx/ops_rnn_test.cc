// LSTM / GRU behaviour the ONNX node tests do not cover: LSTM's cell-state output Y_c (which
// Silero VAD feeds back between chunks), sequence_lens with a bidirectional peephole LSTM,
// layout 1 with reverse direction, odd sizes over two steps, and GRU with and without
// linear_before_reset. Expected outputs come from the float64 NumPy implementation in
// tests/onnx/data/rnn/make_cases.py (written from the operator spec), stored as ONNX test sets.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"

namespace parley::onnx {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(PARLEY_SOURCE_DIR) / "tests/onnx/data/rnn";

// One case loaded and run: owns the inputs, the session and thus the returned views.
struct CaseRun {
  CaseRun(const std::string& name, kernels::ThreadPool& pool) {
    const fs::path dir = kCases / name;
    auto model = Model::load((dir / "model.onnx").string());
    for (const char* kind : {"input", "output"}) {
      for (int i = 0;; ++i) {
        const fs::path p =
            dir / "test_data_set_0" / (std::string(kind) + "_" + std::to_string(i) + ".pb");
        if (!fs::exists(p)) break;
        (kind[0] == 'i' ? inputs : expected).push_back(load_tensor_file(p.string()));
      }
    }
    std::vector<std::pair<std::string, Value>> feeds;
    for (const OwnedValue& v : inputs) feeds.emplace_back(v.name, v.value);
    std::vector<std::string> names;
    for (const OwnedValue& v : expected) names.push_back(v.name);
    session = std::make_unique<Session>(model, pool);
    got = session->run(feeds, names);
  }
  std::vector<OwnedValue> inputs, expected;
  std::unique_ptr<Session> session;
  std::vector<Value> got;
};

void expect_close(const CaseRun& r, double atol) {
  ASSERT_EQ(r.expected.size(), r.got.size());
  for (size_t o = 0; o < r.expected.size(); ++o) {
    const Value& e = r.expected[o].value;
    const Value& g = r.got[o];
    SCOPED_TRACE("output " + r.expected[o].name);
    ASSERT_EQ(e.type, ElemType::kFloat);
    ASSERT_EQ(g.type, ElemType::kFloat);
    ASSERT_EQ(e.shape, g.shape) << e.describe() << " vs " << g.describe();
    double worst = 0;
    for (int64_t i = 0; i < e.element_count(); ++i) {
      worst =
          std::max(worst, std::fabs(static_cast<double>(e.data<float>()[i]) - g.data<float>()[i]));
    }
    EXPECT_LE(worst, atol);
  }
}

class RnnCases : public ::testing::TestWithParam<const char*> {};

TEST_P(RnnCases, MatchesNumpyReference) {
  kernels::ThreadPool pool(2);
  const CaseRun r(GetParam(), pool);
  expect_close(r, 2e-5);
}

INSTANTIATE_TEST_SUITE_P(Spec, RnnCases,
                         ::testing::Values("lstm_forward_state", "lstm_odd_sizes_two_steps",
                                           "lstm_bidirectional_lens_peepholes",
                                           "lstm_reverse_layout1", "gru_linear_before_reset_0",
                                           "gru_linear_before_reset_1"));

// Y_h is the last step of Y, and Y_c is the cell state, not a copy of the hidden state:
// |h| = |o * tanh(c)| <= tanh(|c|).
TEST(LstmCellState, DiffersFromHiddenStateAndEndsTheSequence) {
  kernels::ThreadPool pool(1);
  const CaseRun r("lstm_forward_state", pool);
  ASSERT_EQ(r.got.size(), 3u);
  const Value& y = r.got[0];    // [seq, 1, batch, H]
  const Value& y_h = r.got[1];  // [1, batch, H]
  const Value& y_c = r.got[2];
  const int64_t seq = y.shape[0], per_step = y_h.element_count();
  double diff_c = 0;
  for (int64_t i = 0; i < per_step; ++i) {
    EXPECT_FLOAT_EQ(y.data<float>()[(seq - 1) * per_step + i], y_h.data<float>()[i]);
    diff_c = std::max(diff_c,
                      std::fabs(static_cast<double>(y_c.data<float>()[i]) - y_h.data<float>()[i]));
    // |h| = |o * tanh(c)| < |tanh(c)| <= 1, and h has the sign of c.
    EXPECT_LT(std::fabs(y_h.data<float>()[i]), std::tanh(std::fabs(y_c.data<float>()[i])) + 1e-6);
  }
  EXPECT_GT(diff_c, 1e-3);
}

}  // namespace
}  // namespace parley::onnx
