#include "asr/transducer_model.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "kernels/error.h"

namespace parley::asr {
namespace {

namespace fs = std::filesystem;

// encoder.onnx if present; else the one regular file named <part>*.onnx.
std::string find_part(const std::string& dir, const std::string& part) {
  const fs::path exact = fs::path(dir) / (part + ".onnx");
  std::error_code ec;
  if (fs::is_regular_file(exact, ec)) return exact.string();
  std::vector<std::string> candidates;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.rfind(part, 0) == 0 && name.size() > 5 &&
        name.substr(name.size() - 5) == ".onnx") {
      candidates.push_back(entry.path().string());
    }
  }
  if (candidates.empty()) throw Error(exact.string() + ": missing (no " + part + "*.onnx in folder)");
  if (candidates.size() > 1) {
    std::sort(candidates.begin(), candidates.end());
    std::string list;
    for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
    throw Error(exact.string() + ": missing, and several candidates: " + list);
  }
  return candidates.front();
}

int parse_int(const std::string& text, const onnx::Model& model, const std::string& key) {
  int value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  while (begin < end && *begin == ' ') ++begin;
  auto [ptr, err] = std::from_chars(begin, end, value);
  while (ptr < end && *ptr == ' ') ++ptr;
  if (err != std::errc() || ptr != end) {
    throw Error(model.path() + ": metadata '" + key + "' must be an integer, got '" + text + "'");
  }
  return value;
}

// Fixed dim `axis` of a value info, or -1.
int64_t fixed_dim(const onnx::ValueInfo& info, size_t axis) {
  if (!info.has_shape || axis >= info.dims.size()) return -1;
  return info.dims[axis];
}

void check_value_count(const onnx::Model& model, const char* what, size_t have, size_t want) {
  if (have != want) {
    throw Error(model.path() + ": expected " + std::to_string(want) + " graph " + what + ", found " +
                std::to_string(have));
  }
}

}  // namespace

int metadata_int(const onnx::Model& model, const std::string& key) {
  const std::string text = model.metadata(key);
  if (text.empty()) throw Error(model.path() + ": metadata '" + key + "' is missing");
  return parse_int(text, model, key);
}

std::vector<int> metadata_int_list(const onnx::Model& model, const std::string& key) {
  const std::string text = model.metadata(key);
  if (text.empty()) throw Error(model.path() + ": metadata '" + key + "' is missing");
  std::vector<int> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) values.push_back(parse_int(item, model, key));
  return values;
}

std::shared_ptr<const TransducerModel> TransducerModel::load(const std::string& dir,
                                                             const TransducerLoadOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a model folder (not a directory)");
  const std::string tokens_path = (fs::path(dir) / "tokens.txt").string();
  if (!fs::is_regular_file(tokens_path, ec)) throw Error(tokens_path + ": missing");
  const std::string encoder_path = find_part(dir, "encoder");
  const std::string decoder_path = find_part(dir, "decoder");
  const std::string joiner_path = find_part(dir, "joiner");

  auto model = std::make_shared<TransducerModel>(PrivateTag{});
  model->dir_ = dir;
  model->tokens_ = TokenTable::load(tokens_path);
  onnx::ModelOptions onnx_options;
  onnx_options.run_checker = false;  // speed; the executor validates what it runs
  model->encoder_ = onnx::Model::load(encoder_path, onnx_options);
  model->decoder_ = onnx::Model::load(decoder_path, onnx_options);
  model->joiner_ = onnx::Model::load(joiner_path, onnx_options);
  const onnx::Model& encoder = *model->encoder_;
  const onnx::Model& decoder = *model->decoder_;
  const onnx::Model& joiner = *model->joiner_;

  // Family, as sherpa-onnx picks it: the encoder's metadata model_type.
  const std::string model_type = encoder.metadata("model_type");
  if (model_type.empty()) throw Error(encoder.path() + ": metadata 'model_type' is missing");
  const EncoderFamily* family = nullptr;
  std::string known;
  for (const EncoderFamily& f : encoder_families()) {
    if (model_type == f.model_type) family = &f;
    known += (known.empty() ? "" : ", ") + std::string(f.model_type);
  }
  if (!family) {
    throw Error(encoder.path() + ": metadata 'model_type' is '" + model_type +
                "', not a supported streaming family (" + known + ")");
  }
  model->family_ = family->model_type;
  model->layout_ = family->read_layout(encoder, options.feature_dim);
  const EncoderLayout& layout = model->layout_;
  if (layout.chunk_frames <= 0 || layout.chunk_shift_frames <= 0 ||
      layout.chunk_shift_frames > layout.chunk_frames) {
    throw Error(encoder.path() + ": metadata T=" + std::to_string(layout.chunk_frames) +
                " and decode_chunk_len=" + std::to_string(layout.chunk_shift_frames) +
                " are inconsistent");
  }
  check_value_count(encoder, "inputs", encoder.inputs().size(), layout.states.size() + 1);
  check_value_count(encoder, "outputs", encoder.outputs().size(), layout.states.size() + 1);
  const onnx::ValueInfo& x = encoder.inputs()[0];
  const int64_t t_dim = fixed_dim(x, 1), f_dim = fixed_dim(x, 2);
  if ((t_dim >= 0 && t_dim != layout.chunk_frames) || (f_dim >= 0 && f_dim != layout.feature_dim)) {
    throw Error(encoder.path() + ": input '" + x.name + "' has shape " + x.shape_string() +
                ", metadata says [N, " + std::to_string(layout.chunk_frames) + ", " +
                std::to_string(layout.feature_dim) + "]");
  }
  for (size_t i = 0; i < layout.states.size(); ++i) {
    const onnx::ValueInfo& info = encoder.inputs()[i + 1];
    const EncoderStateSpec& spec = layout.states[i];
    bool ok = info.type == onnx::ElemType::kUndefined || info.type == spec.type;
    if (info.has_shape) {
      ok = ok && static_cast<int>(info.dims.size()) == spec.shape.rank();
      for (int d = 0; ok && d < spec.shape.rank(); ++d) {
        ok = info.dims[d] < 0 || info.dims[d] == spec.shape[d];
      }
    }
    if (!ok) {
      throw Error(encoder.path() + ": input '" + info.name + "' is " +
                  std::string(onnx::elem_type_name(info.type)) + info.shape_string() +
                  ", but the metadata gives cache " + spec.name + " " + spec.shape.to_string());
    }
  }

  // Decoder and joiner, as sherpa-onnx reads them.
  model->context_size_ = metadata_int(decoder, "context_size");
  model->vocab_size_ = metadata_int(decoder, "vocab_size");
  if (model->context_size_ < 1 || model->context_size_ > 16) {
    throw Error(decoder.path() + ": metadata 'context_size' = " +
                std::to_string(model->context_size_) + " is out of range [1, 16]");
  }
  check_value_count(decoder, "inputs", decoder.inputs().size(), 1);
  check_value_count(joiner, "inputs", joiner.inputs().size(), 2);
  check_value_count(joiner, "outputs", joiner.outputs().size(), 1);
  const int64_t context_dim = fixed_dim(decoder.inputs()[0], 1);
  if (context_dim >= 0 && context_dim != model->context_size_) {
    throw Error(decoder.path() + ": input y has " + std::to_string(context_dim) +
                " columns, metadata context_size is " + std::to_string(model->context_size_));
  }
  const int64_t joiner_dim = fixed_dim(joiner.inputs()[0], 1);
  const int64_t decoder_dim = fixed_dim(decoder.outputs()[0], 1);
  const int64_t encoder_dim = fixed_dim(encoder.outputs()[0], 2);
  if (joiner_dim <= 0) throw Error(joiner.path() + ": input encoder_out has no fixed dim 1");
  if (decoder_dim >= 0 && decoder_dim != joiner_dim) {
    throw Error(decoder.path() + ": decoder_out dim " + std::to_string(decoder_dim) +
                " does not match joiner input dim " + std::to_string(joiner_dim));
  }
  if (encoder_dim >= 0 && encoder_dim != joiner_dim) {
    throw Error(encoder.path() + ": encoder_out dim " + std::to_string(encoder_dim) +
                " does not match joiner input dim " + std::to_string(joiner_dim));
  }
  model->joiner_dim_ = static_cast<int>(joiner_dim);
  const int64_t logit_dim = fixed_dim(joiner.outputs()[0], 1);
  if (logit_dim >= 0 && logit_dim != model->vocab_size_) {
    throw Error(joiner.path() + ": output dim " + std::to_string(logit_dim) +
                " differs from decoder metadata vocab_size " + std::to_string(model->vocab_size_));
  }
  if (static_cast<int64_t>(model->tokens_.size()) != model->vocab_size_) {
    throw Error(tokens_path + ": " + std::to_string(model->tokens_.size()) +
                " tokens, but the joiner (" + joiner.path() + ") outputs " +
                std::to_string(model->vocab_size_) + " scores");
  }
  if (auto unk = model->tokens_.find("<unk>")) model->unk_id_ = *unk;
  return model;
}

std::string TransducerModel::describe() const {
  std::ostringstream out;
  out << family_ << ", T=" << layout_.chunk_frames << ", shift=" << layout_.chunk_shift_frames
      << ", " << layout_.states.size() << " caches, context " << context_size_ << ", vocab "
      << vocab_size_ << ", dim " << joiner_dim_;
  return out.str();
}

// ---------------------------------------------------------------------------------------------

TransducerSession::TransducerSession(std::shared_ptr<const TransducerModel> model,
                                     kernels::ThreadPool& pool)
    : model_(std::move(model)),
      encoder_session_(model_->encoder(), pool),
      decoder_session_(model_->decoder(), pool),
      joiner_session_(model_->joiner(), pool) {
  const EncoderLayout& layout = model_->layout();
  const auto& inputs = model_->encoder()->inputs();
  encoder_feeds_.reserve(inputs.size());
  encoder_feeds_.emplace_back(
      inputs[0].name,
      onnx::Value{onnx::ElemType::kFloat, onnx::Shape{1, layout.chunk_frames, layout.feature_dim},
                  nullptr});
  states_.resize(layout.states.size());
  for (size_t i = 0; i < layout.states.size(); ++i) {
    const EncoderStateSpec& spec = layout.states[i];
    states_[i] = kernels::AlignedBuffer(
        std::max<size_t>(1, static_cast<size_t>(spec.shape.element_count()) * onnx::elem_size(spec.type)));
    std::memset(states_[i].data(), 0, states_[i].size());
    encoder_feeds_.emplace_back(inputs[i + 1].name,
                                onnx::Value{spec.type, spec.shape, states_[i].data()});
  }
  decoder_feeds_.emplace_back(model_->decoder()->inputs()[0].name,
                              onnx::Value{onnx::ElemType::kInt64, onnx::Shape{1, 1}, nullptr});
  for (const auto& in : model_->joiner()->inputs()) {
    joiner_feeds_.emplace_back(in.name, onnx::Value{onnx::ElemType::kFloat, onnx::Shape{1, 1},
                                                    nullptr});
  }
}

TransducerSession::~TransducerSession() = default;

void TransducerSession::reset_encoder_state() {
  for (auto& state : states_) std::memset(state.data(), 0, state.size());
}

std::span<const float> TransducerSession::run_encoder(std::span<const float> features) {
  const EncoderLayout& layout = model_->layout();
  const size_t want = static_cast<size_t>(layout.chunk_frames) * layout.feature_dim;
  if (features.size() != want) {
    throw Error(model_->encoder()->path() + ": run_encoder: " + std::to_string(features.size()) +
                " feature values, expected " + std::to_string(want));
  }
  encoder_feeds_[0].second.raw = const_cast<float*>(features.data());
  std::vector<onnx::Value> out = encoder_session_.run(encoder_feeds_);
  for (size_t i = 0; i < states_.size(); ++i) {
    const onnx::Value& next = out[i + 1];
    if (next.type != layout.states[i].type || !(next.shape == layout.states[i].shape)) {
      throw Error(model_->encoder()->path() + ": output " + std::to_string(i + 1) + " is " +
                  next.describe() + ", expected the cache shape " +
                  layout.states[i].shape.to_string() + " of input " + layout.states[i].name);
    }
    std::memcpy(states_[i].data(), next.raw, next.byte_size());
  }
  const onnx::Value& encoder_out = out[0];
  if (encoder_out.type != onnx::ElemType::kFloat || encoder_out.shape.rank() != 3 ||
      encoder_out.shape[0] != 1 || encoder_out.shape[2] != model_->joiner_dim()) {
    throw Error(model_->encoder()->path() + ": encoder_out is " + encoder_out.describe() +
                ", expected float[1, frames, " + std::to_string(model_->joiner_dim()) + "]");
  }
  encoder_frames_ = static_cast<int>(encoder_out.shape[1]);
  return {encoder_out.data<float>(), static_cast<size_t>(encoder_out.element_count())};
}

std::span<const float> TransducerSession::run_decoder(std::span<const int64_t> contexts,
                                                      int rows) {
  onnx::Value& y = decoder_feeds_[0].second;
  y.shape = onnx::Shape{rows, model_->context_size()};
  y.raw = const_cast<int64_t*>(contexts.data());
  std::vector<onnx::Value> out = decoder_session_.run(decoder_feeds_);
  const onnx::Value& d = out[0];
  if (d.type != onnx::ElemType::kFloat || d.element_count() != int64_t{rows} * model_->joiner_dim()) {
    throw Error(model_->decoder()->path() + ": decoder_out is " + d.describe() + ", expected float[" +
                std::to_string(rows) + ", " + std::to_string(model_->joiner_dim()) + "]");
  }
  return {d.data<float>(), static_cast<size_t>(d.element_count())};
}

std::span<const float> TransducerSession::run_joiner(std::span<const float> encoder_rows,
                                                     std::span<const float> decoder_rows,
                                                     int rows) {
  const onnx::Shape shape{rows, model_->joiner_dim()};
  joiner_feeds_[0].second.shape = shape;
  joiner_feeds_[0].second.raw = const_cast<float*>(encoder_rows.data());
  joiner_feeds_[1].second.shape = shape;
  joiner_feeds_[1].second.raw = const_cast<float*>(decoder_rows.data());
  std::vector<onnx::Value> out = joiner_session_.run(joiner_feeds_);
  const onnx::Value& logit = out[0];
  if (logit.type != onnx::ElemType::kFloat ||
      logit.element_count() != int64_t{rows} * model_->vocab_size()) {
    throw Error(model_->joiner()->path() + ": logit is " + logit.describe() + ", expected float[" +
                std::to_string(rows) + ", " + std::to_string(model_->vocab_size()) + "]");
  }
  return {logit.data<float>(), static_cast<size_t>(logit.element_count())};
}

size_t TransducerSession::memory_bytes() const {
  size_t bytes = encoder_session_.arena_bytes() + decoder_session_.arena_bytes() +
                 joiner_session_.arena_bytes();
  for (const auto& state : states_) bytes += state.size();
  return bytes;
}

}  // namespace parley::asr
