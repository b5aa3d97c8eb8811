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
