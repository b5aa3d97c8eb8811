// kernels/onnx loader and executor: hostile files, the one-message unsupported-op report,
// constant folding inside If branches, If and Loop execution, feed validation, metadata.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "kernels/error.h"
#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"

namespace parley::onnx {
namespace {

namespace fs = std::filesystem;

std::string data_path(const std::string& name) {
  return std::string(PARLEY_SOURCE_DIR) + "/tests/onnx/data/" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  std::string path = (fs::temp_directory_path() / ("parley_onnx_" + name)).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string load_error(const std::string& path) {
  try {
    Model::load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(OnnxModel, TruncatedFileFailsNamingIt) {
  std::string bytes = read_file(data_path("if_const.onnx"));
  ASSERT_GT(bytes.size(), 100u);
  for (size_t keep : {size_t{1}, size_t{17}, bytes.size() / 2, bytes.size() - 3}) {
    std::string path = write_temp("truncated.onnx", bytes.substr(0, keep));
    std::string error = load_error(path);
    EXPECT_NE(error.find(path), std::string::npos) << "keep " << keep << ": " << error;
  }
}

TEST(OnnxModel, GarbageAndEmptyFilesFail) {
  std::string garbage(4096, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) >> 3);
  std::string path = write_temp("garbage.onnx", garbage);
  EXPECT_NE(load_error(path).find(path), std::string::npos);
  std::string empty = write_temp("empty.onnx", "");
  EXPECT_NE(load_error(empty).find("empty"), std::string::npos);
  EXPECT_NE(load_error("/nonexistent/model.onnx").find("/nonexistent/model.onnx"),
            std::string::npos);
}

TEST(OnnxModel, UnsupportedOpsListedInOneMessage) {
  std::string error = load_error(data_path("unsupported_ops.onnx"));
  EXPECT_NE(error.find("unsupported operators (3)"), std::string::npos) << error;
  EXPECT_NE(error.find("test.parley:FrobnicateA opset 1"), std::string::npos) << error;
  EXPECT_NE(error.find("test.parley:FrobnicateB opset 1"), std::string::npos) << error;
  EXPECT_NE(error.find("ai.onnx:NoSuchOnnxOp opset 13"), std::string::npos) << error;
}

// Hostile shapes from constants: a 1 PiB ConstantOfShape is not folded at load (it would be a
// Model-owned constant) and a run refuses it with a message naming the node and the size; a
// shape whose byte size overflows fails the load instead of wrapping.
TEST(OnnxModel, HugeConstantShapesAreRefusedNotAllocated) {
  auto model = Model::load(data_path("constant_of_shape_1pib.onnx"));
  kernels::ThreadPool pool(1);
  Session session(model, pool);
  try {
    session.run({});
    FAIL() << "a 1 PiB output was allocated";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("ConstantOfShape"), std::string::npos) << what;
    EXPECT_NE(what.find("[16777216, 16777216]"), std::string::npos) << what;
    EXPECT_NE(what.find("MiB"), std::string::npos) << what;
  }
  const std::string error = load_error(data_path("constant_of_shape_overflow.onnx"));
  EXPECT_NE(error.find("too large"), std::string::npos) << error;
}

TEST(OnnxModel, IfBranchConstantsFoldedAndRun) {
  auto model = Model::load(data_path("if_const.onnx"));
  EXPECT_EQ(model->metadata("sample_rate"), "16000");
  EXPECT_EQ(model->metadata("absent"), "");
  EXPECT_EQ(model->file_node_count(), 3);     // If + one Constant per branch
  EXPECT_EQ(model->runtime_node_count(), 1);  // the branch Constants are folded
  kernels::ThreadPool pool(1);
  Session session(model, pool);
  for (bool cond : {true, false, true}) {
    Value c{ElemType::kBool, Shape{}, &cond};
    std::vector<Value> out = session.run({{"cond", c}}, {"y"});
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].describe(), "float[2]");
    EXPECT_EQ(out[0].data<float>()[0], cond ? 1.0f : 3.0f);
    EXPECT_EQ(out[0].data<float>()[1], cond ? 2.0f : 4.0f);
  }
}

TEST(OnnxModel, FeedsAreValidated) {
  auto model = Model::load(data_path("if_const.onnx"));
  kernels::ThreadPool pool(1);
  Session session(model, pool);
  float f = 1;
  Value wrong_type{ElemType::kFloat, Shape{}, &f};
  EXPECT_THROW(session.run({{"cond", wrong_type}}), Error);
  EXPECT_THROW(session.run({}), Error);
  bool b = true;
  EXPECT_THROW(session.run({{"nope", Value{ElemType::kBool, Shape{}, &b}}}), Error);
  Value wrong_rank{ElemType::kBool, Shape{1}, &b};
  EXPECT_THROW(session.run({{"cond", wrong_rank}}), Error);
}

// run_part: any computed value may be fetched or fed; only the nodes the outputs need run, so
// only the inputs they need are fed.
TEST(OnnxSession, RunPartFetchesAndFeedsComputedValues) {
  auto model = Model::load(data_path("two_stage.onnx"));
  kernels::ThreadPool pool(1);
  Session session(model, pool);
  float x[4] = {1, -2, 3, -4};
  float s[1] = {10};
  const Value xv{ElemType::kFloat, Shape{4}, x};
  const Value sv{ElemType::kFloat, Shape{1}, s};
  auto values = [](const Value& v) {
    return std::vector<float>(v.data<float>(), v.data<float>() + v.element_count());
  };
  // A computed value fetched; `s` is not needed for it, so not fed.
  std::vector<Value> out = session.run_part({{"x", xv}}, {"a"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(values(out[0]), (std::vector<float>{1, 4, 9, 16}));
  // Fetched together with what is computed after its last reader: `a` is still intact.
  out = session.run_part({{"x", xv}, {"s", sv}}, {"a", "y", "r"});
  EXPECT_EQ(values(out[0]), (std::vector<float>{1, 4, 9, 16}));
  EXPECT_EQ(values(out[1]), (std::vector<float>{-11, -14, -19, -26}));
  EXPECT_EQ(values(out[2]), (std::vector<float>{3, 0}));
  // A computed value fed: the Mul does not run, `x` is not needed.
  float a[4] = {0.5f, 1, 2, 3};
  out = session.run_part({{"a", Value{ElemType::kFloat, Shape{4}, a}}, {"s", sv}}, {"y"});
  EXPECT_EQ(values(out[0]), (std::vector<float>{-10.5f, -11, -12, -13}));
  // Plans are kept per set of names; the whole run still works between parts.
  out = session.run({{"x", xv}, {"s", sv}});
  EXPECT_EQ(values(out[0]), (std::vector<float>{-11, -14, -19, -26}));
  out = session.run_part({{"x", xv}}, {"a"});
  EXPECT_EQ(values(out[0]), (std::vector<float>{1, 4, 9, 16}));
  auto error_of = [&](const std::vector<std::pair<std::string, Value>>& feeds, const std::vector<std::string>& names) {
    try {
      session.run_part(feeds, names);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string path = data_path("two_stage.onnx");
  EXPECT_EQ(error_of({{"a", Value{ElemType::kFloat, Shape{4}, a}}}, {"y"}),
            path + ": run_part: input 's' is needed and not fed");
  EXPECT_EQ(error_of({{"x", xv}}, {"nothing"}), path + ": run_part: no value named 'nothing' (fetched)");
  EXPECT_EQ(error_of({{"zz", xv}}, {"a"}), path + ": run_part: no value named 'zz' (fed)");
  EXPECT_EQ(error_of({{"x", xv}, {"p", xv}}, {"r"}),
            path + ": run_part: 'p' is fed, but the node computing it is needed for 'q'");
  EXPECT_EQ(error_of({{"x", xv}, {"x", xv}}, {"a"}), path + ": run_part: 'x' fed twice");
  // prepare_part makes the plan without running, and refuses what run_part refuses.
  EXPECT_NO_THROW(session.prepare_part({"a", "s"}, {"y"}));
  EXPECT_THROW(session.prepare_part({"a"}, {"y"}), Error);
  // A graph input fed is still checked against its declared type and shape.
  float wide[5] = {};
  EXPECT_EQ(error_of({{"x", Value{ElemType::kFloat, Shape{5}, wide}}}, {"a"}),
            path + ": run: input 'x' must have shape [4], got float[5]");
}

TEST(OnnxModel, LoopCarriesValuesAndStacksScanOutputs) {
  auto model = Model::load(data_path("loop_counter.onnx"));
  kernels::ThreadPool pool(1);
  Session session(model, pool);
  int64_t trips = 5;
  bool cond = true;
  float v[2] = {7.5f, -2.0f};
  std::vector<Value> out =
      session.run({{"m", Value{ElemType::kInt64, Shape{}, &trips}},
                   {"cond", Value{ElemType::kBool, Shape{}, &cond}},
                   {"v", Value{ElemType::kFloat, Shape{2}, v}}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data<float>()[0], 7.5f);
  EXPECT_EQ(out[0].data<float>()[1], -2.0f);
  ASSERT_EQ(out[1].describe(), "int64[5]");
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(out[1].data<int64_t>()[i], i);
  trips = 0;  // zero trips: the initial value comes back, the scan output is empty
  out = session.run({{"m", Value{ElemType::kInt64, Shape{}, &trips}},
                     {"cond", Value{ElemType::kBool, Shape{}, &cond}},
                     {"v", Value{ElemType::kFloat, Shape{2}, v}}});
  EXPECT_EQ(out[0].data<float>()[0], 7.5f);
  EXPECT_EQ(out[1].element_count(), 0);
}

TEST(OnnxModel, DescribeListsOpsAndSupport) {
  std::string text = describe_model_file(data_path("if_const.onnx"));
  EXPECT_NE(text.find("ai.onnx=13"), std::string::npos) << text;
  EXPECT_NE(text.find("Constant x2"), std::string::npos) << text;
  EXPECT_NE(text.find("supported: yes"), std::string::npos) << text;
  EXPECT_NE(text.find("sample_rate = 16000"), std::string::npos) << text;
  text = describe_model_file(data_path("unsupported_ops.onnx"));
  EXPECT_NE(text.find("supported: no, missing 3"), std::string::npos) << text;
}

TEST(OnnxModel, TensorFileRoundTrip) {
  const std::string dir = "/usr/share/libonnx-testdata/data/node/test_if/test_data_set_0";
  if (!fs::exists(dir)) GTEST_SKIP() << "libonnx-testdata absent";
  OwnedValue out = load_tensor_file(dir + "/output_0.pb");
  EXPECT_EQ(out.value.type, ElemType::kFloat);
  EXPECT_EQ(out.value.element_count(), 5);
  std::string path = write_temp("bad_tensor.pb", "\xff\xff\xff\xff");
  EXPECT_THROW(load_tensor_file(path), Error);
}

}  // namespace
}  // namespace parley::onnx
