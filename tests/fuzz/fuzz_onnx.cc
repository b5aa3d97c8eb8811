// ONNX loader: protobuf parsing (libonnx), the ONNX checker and shape inference, our graph
// building, kernel creation from the op registry and constant folding (which runs ops on
// initializers), plus the `parley inspect` description. Seeds: tests/onnx/data/**/*.onnx and the
// small models of ../shared/testdata.
#include <string>

#include "kernels/error.h"
#include "kernels/onnx/model.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(onnx) {
  const std::string path = parley::fuzz::write_scratch_file("onnx/model.onnx", data, size);
  try {
    const std::shared_ptr<const parley::onnx::Model> model = parley::onnx::Model::load(path);
    for (const parley::onnx::ValueInfo& in : model->inputs()) (void)in.shape_string();
    for (const parley::onnx::ValueInfo& out : model->outputs()) (void)out.shape_string();
    (void)model->runtime_node_count();
  } catch (const parley::Error&) {
  }
  try {
    (void)parley::onnx::describe_model_file(path);
  } catch (const parley::Error&) {
  }
  return 0;
}
