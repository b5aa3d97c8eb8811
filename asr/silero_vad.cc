#include "asr/silero_vad.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <filesystem>

#include "kernels/error.h"

namespace parley::asr {
namespace {

const onnx::ValueInfo* find_input(const onnx::Model& model, const std::string& name) {
  for (const onnx::ValueInfo& info : model.inputs()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

bool has_output(const onnx::Model& model, const std::string& name) {
  for (const onnx::ValueInfo& info : model.outputs()) {
    if (info.name == name) return true;
  }
  return false;
}

// The last dim of a [2, batch, S] state input, or `fallback` when the model leaves it symbolic.
int64_t state_dim(const onnx::ValueInfo& info, int64_t fallback) {
  if (info.has_shape && info.dims.size() == 3 && info.dims[2] > 0) return info.dims[2];
  return fallback;
}

std::string input_list(const onnx::Model& model) {
  std::string names;
  for (const onnx::ValueInfo& info : model.inputs()) {
    names += (names.empty() ? "" : ", ") + info.name;
  }
  return names;
}

}  // namespace

SileroVadModel::SileroVadModel(std::shared_ptr<const onnx::Model> model, SileroLayout layout,
                               int64_t state_size)
    : model_(std::move(model)), layout_(layout), state_size_(state_size) {}

std::shared_ptr<const SileroVadModel> SileroVadModel::load(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw Error(path + ": no such Silero VAD model file");
  }
  std::shared_ptr<const onnx::Model> model = onnx::Model::load(path);
  const onnx::ValueInfo* input = find_input(*model, "input");
  const onnx::ValueInfo* sr = find_input(*model, "sr");
  const onnx::ValueInfo* state = find_input(*model, "state");
  const onnx::ValueInfo* h = find_input(*model, "h");
  const onnx::ValueInfo* c = find_input(*model, "c");
  const size_t input_count = model->inputs().size();
  const std::string what = path + ": not a Silero VAD model (inputs: " + input_list(*model) + ")";
  if (input == nullptr || input->type != onnx::ElemType::kFloat || !has_output(*model, "output")) {
    throw Error(what + "; expected a float 'input' and an 'output'");
  }
  SileroLayout layout;
  int64_t state_size;
  if (h != nullptr && c != nullptr && sr != nullptr && input_count == 4) {
    if (!has_output(*model, "hn") || !has_output(*model, "cn")) {
      throw Error(what + "; a v4 model (input, sr, h, c) must output hn and cn");
    }
    layout = SileroLayout::kV4;
    state_size = state_dim(*h, 64);
    if (state_dim(*c, 64) != state_size) throw Error(what + "; h and c differ in size");
  } else if (state != nullptr && (input_count == 3 || input_count == 2)) {
    if (!has_output(*model, "stateN")) {
      throw Error(what + "; a v5 model (input, state, sr) must output stateN");
    }
    if (input_count == 3 && sr == nullptr) throw Error(what + "; the third input must be sr");
    layout = sr != nullptr ? SileroLayout::kV5 : SileroLayout::kV5NoSr;
    state_size = state_dim(*state, 128);
  } else {
    throw Error(what + "; expected (input, sr, h, c) for v4 or (input, state[, sr]) for v5/v6");
  }
  if (sr != nullptr && sr->type != onnx::ElemType::kInt64) {
    throw Error(path + ": Silero VAD input 'sr' must be int64, got " +
                std::string(onnx::elem_type_name(sr->type)));
  }
  return std::make_shared<SileroVadModel>(std::move(model), layout, state_size);
}

bool SileroVadModel::supports_rate(int sample_rate_hz) const {
  if (sample_rate_hz == 16000) return true;
  if (sample_rate_hz != 8000) return false;
  // v4 and Silero's multi-rate v5/v6 release files (exported with spox) switch on `sr`. The
  // PyTorch exports (`16k_op15`, `op18_ifless`, half) are 16 kHz models that run at 8 kHz without
  // complaint and give wrong probabilities (silero_vad_test shows it), so they are refused.
  return layout_ == SileroLayout::kV4 ||
         (layout_ == SileroLayout::kV5 && model_->producer().rfind("spox", 0) == 0);
}

std::string SileroVadModel::description() const {
  const char* family = layout_ == SileroLayout::kV4   ? "v4"
                       : layout_ == SileroLayout::kV5 ? "v5/v6"
                                                      : "v5 half";
  return std::string("silero ") + family + " (" +
         std::filesystem::path(model_->path()).filename().string() + ")";
}

SileroVad::SileroVad(std::shared_ptr<const SileroVadModel> model, int sample_rate_hz,
                     kernels::ThreadPool* pool)
    : model_(std::move(model)), sample_rate_hz_(sample_rate_hz) {
  if (!model_) throw Error("SileroVad: null model");
  if (!model_->supports_rate(sample_rate_hz)) {
    throw Error(model_->path() + ": " + model_->description() + " does not run at " +
                std::to_string(sample_rate_hz) + " Hz (16000" +
                (model_->supports_rate(8000) ? " or 8000" : " only") + ")");
  }
  window_samples_ = sample_rate_hz == 16000 ? 512 : 256;
  context_samples_ =
      model_->layout() == SileroLayout::kV4 ? 0 : (sample_rate_hz == 16000 ? 64 : 32);
  if (pool == nullptr) {
    own_pool_ = std::make_unique<kernels::ThreadPool>(1);
    pool = own_pool_.get();
  }
  session_ = std::make_unique<onnx::Session>(model_->onnx_model(), *pool);

  const int64_t s = model_->state_size();
  input_.assign(context_samples_ + window_samples_, 0.0f);
  state_.assign(static_cast<size_t>(model_->layout() == SileroLayout::kV4 ? 4 * s : 2 * s), 0.0f);
  sample_rate_value_ = sample_rate_hz;

  const onnx::Value input{onnx::ElemType::kFloat,
                          onnx::Shape{1, static_cast<int64_t>(input_.size())}, input_.data()};
  const onnx::Value sr{onnx::ElemType::kInt64, onnx::Shape{}, &sample_rate_value_};
  feeds_.emplace_back("input", input);
  if (model_->layout() == SileroLayout::kV4) {
    feeds_.emplace_back("sr", sr);
    feeds_.emplace_back("h",
                        onnx::Value{onnx::ElemType::kFloat, onnx::Shape{2, 1, s}, state_.data()});
    feeds_.emplace_back(
        "c", onnx::Value{onnx::ElemType::kFloat, onnx::Shape{2, 1, s}, state_.data() + 2 * s});
    output_names_ = {"output", "hn", "cn"};
  } else {
    feeds_.emplace_back("state",
                        onnx::Value{onnx::ElemType::kFloat, onnx::Shape{2, 1, s}, state_.data()});
    if (model_->layout() == SileroLayout::kV5) feeds_.emplace_back("sr", sr);
    output_names_ = {"output", "stateN"};
  }

  // Check run on silence: shapes and types must fit (this also warms the executor's arena).
  run_model();
  if (error_count_ > 0) {
    throw Error(model_->path() + ": " + model_->description() + " fails at " +
                std::to_string(sample_rate_hz) + " Hz: " + error_);
  }
  reset();
}

SileroVad::~SileroVad() = default;

float SileroVad::run_model() noexcept {
  try {
    std::vector<onnx::Value> out = session_->run(feeds_, output_names_);
    const int64_t s = model_->state_size();
    const onnx::Value& probability = out[0];
    if (probability.type != onnx::ElemType::kFloat || probability.element_count() < 1) {
      throw Error(model_->path() + ": output is " + probability.describe() +
                  ", expected float[1, 1]");
    }
    for (size_t k = 1; k < out.size(); ++k) {
      if (out[k].type != onnx::ElemType::kFloat || out[k].element_count() != 2 * s) {
        throw Error(model_->path() + ": " + output_names_[k] + " is " + out[k].describe() +
                    ", expected float[2, 1, " + std::to_string(s) + "]");
      }
    }
    for (size_t k = 1; k < out.size(); ++k) {
      std::memcpy(state_.data() + (k - 1) * 2 * s, out[k].raw, out[k].byte_size());
    }
    last_probability_ = std::clamp(probability.data<float>()[0], 0.0f, 1.0f);
  } catch (const std::exception& e) {
    ++error_count_;
    error_ = e.what();
  } catch (...) {
    ++error_count_;
    error_ = model_->path() + ": unknown exception in the ONNX executor";
  }
  return last_probability_;
}

float SileroVad::speech_probability(std::span<const float> window) noexcept {
  if (window.size() != window_samples_) {
    ++error_count_;
    // A short fixed message: formatting the sizes would allocate more than the message itself.
    error_ = "SileroVad: window of wrong size (expected window_samples())";
    return last_probability_;
  }
  // input_ = [context | window]; the context is the tail of the previous window.
  std::copy(window.begin(), window.end(),
            input_.begin() + static_cast<ptrdiff_t>(context_samples_));
  const float result = run_model();
  if (context_samples_ > 0) {
    std::copy(window.end() - static_cast<ptrdiff_t>(context_samples_), window.end(),
              input_.begin());
  }
  return result;
}

void SileroVad::reset() noexcept {
  std::fill(input_.begin(), input_.end(), 0.0f);
  std::fill(state_.begin(), state_.end(), 0.0f);
  last_probability_ = 0.0f;
  error_.clear();
  error_count_ = 0;
}

}  // namespace parley::asr
