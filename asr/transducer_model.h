// TransducerModel — a streaming transducer in sherpa-onnx's folder layout (`encoder.onnx`,
// `decoder.onnx`, `joiner.onnx`, `tokens.txt`; fp32 or int8 exports), loaded once, immutable and
// shared by every stream; TransducerSession — the per-stream executor with its encoder caches.
//
// Model families
//   The encoder's ONNX metadata `model_type` names the family ("zipformer2", "lstm"), as in
//   sherpa-onnx's OnlineTransducerModel::Create. A family is one file (transducer_<family>.cc)
//   with a function that reads the family's metadata keys and returns an EncoderLayout — chunk
//   length T, chunk shift (`decode_chunk_len`) and the shape of every cache input — plus one line
//   in the registry (transducer_families.cc). Everything else is shared: for every family, graph
//   input 0 is the feature chunk x[1, T, feature_dim], inputs 1..n are caches, output 0 is
//   encoder_out[1, frames, joiner_dim] and output k is the next value of cache input k.
//   Decoder: y[N, context_size] int64 -> decoder_out[N, joiner_dim] (metadata context_size,
//   vocab_size). Joiner: (encoder_out[N, dim], decoder_out[N, dim]) -> logit[N, vocab].
//   Blank is id 0 (sherpa-onnx hard-codes it); `<unk>`, when the table has it, is treated as blank.
//
// Errors (parley::Error, one line naming the file): a missing file, a folder with several
// candidates for one part, an encoder without `model_type` or with an unknown family, missing or
// malformed metadata, a graph whose inputs/outputs do not match its family, decoder/joiner
// dimensions that disagree, or a tokens table whose size differs from the joiner's output dim.
//
// Threads: TransducerModel is immutable — share it (std::shared_ptr<const TransducerModel>) across
// threads. A TransducerSession belongs to one stream and is used from one thread at a time; it
// runs its three onnx::Sessions on the ThreadPool it was given, which must not run two
// parallel_for calls at once (give each concurrently used session its own pool).
//
// Usage
//   auto model = parley::asr::TransducerModel::load("models/zipformer2");   // throws parley::Error
//   kernels::ThreadPool pool(1);
//   parley::asr::TransducerSession session(model, pool);
//   std::span<const float> enc = session.run_encoder(chunk);  // chunk_frames() x feature_dim
//   std::span<const float> dec = session.run_decoder(contexts, rows);
//   std::span<const float> logits = session.run_joiner(enc_rows, dec_rows, rows);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "asr/token_table.h"
#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"
#include "kernels/storage.h"
#include "kernels/thread_pool.h"

namespace parley::asr {

// One cache input of the encoder (graph input index = position in EncoderLayout::states + 1).
struct EncoderStateSpec {
  std::string name;  // graph input name, for messages
  onnx::ElemType type = onnx::ElemType::kFloat;
  onnx::Shape shape;  // batch 1
};

// What a family reads from the encoder: how features are chunked and what the caches look like.
struct EncoderLayout {
  int chunk_frames = 0;        // T: feature frames fed per encoder run (metadata "T")
  int chunk_shift_frames = 0;  // frames the stream advances per run ("decode_chunk_len")
  int feature_dim = 80;
  std::vector<EncoderStateSpec> states;  // graph inputs 1..n, in graph order, zero-initialised
};

// A family's reader: validates `encoder` (inputs, metadata) and returns its layout; throws
// parley::Error naming encoder.path() and the metadata key or input at fault.
using EncoderLayoutReader = EncoderLayout (*)(const onnx::Model& encoder, int feature_dim);

struct EncoderFamily {
  const char* model_type;  // the encoder metadata value, e.g. "zipformer2"
  EncoderLayoutReader read_layout;
};
// The registered families (transducer_families.cc).
std::span<const EncoderFamily> encoder_families();

// Helpers for family readers: metadata value as int / comma-separated ints; throw naming the key.
int metadata_int(const onnx::Model& model, const std::string& key);
std::vector<int> metadata_int_list(const onnx::Model& model, const std::string& key);

struct TransducerLoadOptions {
  int feature_dim = 80;  // fbank bins the encoder expects
};

class TransducerModel {
 public:
  // `dir` holds encoder*.onnx, decoder*.onnx, joiner*.onnx (exact names preferred; otherwise the
  // one file whose name starts with the part) and tokens.txt.
  static std::shared_ptr<const TransducerModel> load(const std::string& dir,
                                                     const TransducerLoadOptions& options = {});

  const std::string& dir() const { return dir_; }
  const std::string& family() const { return family_; }
  const EncoderLayout& layout() const { return layout_; }
  const TokenTable& tokens() const { return tokens_; }
  const std::shared_ptr<const onnx::Model>& encoder() const { return encoder_; }
  const std::shared_ptr<const onnx::Model>& decoder() const { return decoder_; }
  const std::shared_ptr<const onnx::Model>& joiner() const { return joiner_; }

  int context_size() const { return context_size_; }
  int vocab_size() const { return vocab_size_; }
  int joiner_dim() const { return joiner_dim_; }
  int64_t blank_id() const { return 0; }
  int64_t unk_id() const { return unk_id_; }  // -1 when the table has no <unk>
  // Seconds per encoder output frame: 10 ms feature shift x subsampling 4 (as sherpa-onnx).
  double frame_shift_seconds() const { return 0.04; }
  std::string describe() const;  // "zipformer2, T=45, shift=32, context 2, vocab 500, dim 512"

  struct PrivateTag {};
  explicit TransducerModel(PrivateTag) {}

 private:
  std::string dir_;
  std::string family_;
  EncoderLayout layout_;
  TokenTable tokens_;
  std::shared_ptr<const onnx::Model> encoder_, decoder_, joiner_;
  int context_size_ = 0;
  int vocab_size_ = 0;
  int joiner_dim_ = 0;
  int64_t unk_id_ = -1;
};

// Per-stream executor: three onnx::Sessions and the encoder caches (zero at construction).
// Returned spans are views valid until the next call of the same run_*() or destruction.
class TransducerSession {
 public:
  TransducerSession(std::shared_ptr<const TransducerModel> model, kernels::ThreadPool& pool);
  ~TransducerSession();
  TransducerSession(const TransducerSession&) = delete;
  TransducerSession& operator=(const TransducerSession&) = delete;

  const TransducerModel& model() const { return *model_; }

  // Zeroes every cache (a new, unrelated stream).
  void reset_encoder_state();
  // features: chunk_frames * feature_dim floats. Returns encoder_out, frames * joiner_dim floats;
  // the caches advance. Throws parley::Error on an executor failure or a cache shape change.
  std::span<const float> run_encoder(std::span<const float> features);
  int encoder_frames() const { return encoder_frames_; }  // frames of the last run_encoder()
  // contexts: rows * context_size token ids (-1 = "no token", as sherpa-onnx's initial context).
  std::span<const float> run_decoder(std::span<const int64_t> contexts, int rows);
  // encoder_rows, decoder_rows: rows * joiner_dim each. Returns rows * vocab_size logits.
  std::span<const float> run_joiner(std::span<const float> encoder_rows,
                                    std::span<const float> decoder_rows, int rows);

  // Bytes held by the three sessions' arenas plus the caches (memory per extra stream).
  size_t memory_bytes() const;

 private:
  std::shared_ptr<const TransducerModel> model_;
  onnx::Session encoder_session_, decoder_session_, joiner_session_;
  std::vector<kernels::AlignedBuffer> states_;  // one buffer per EncoderLayout::states entry
  std::vector<std::pair<std::string, onnx::Value>> encoder_feeds_;
  std::vector<std::pair<std::string, onnx::Value>> decoder_feeds_;
  std::vector<std::pair<std::string, onnx::Value>> joiner_feeds_;
  int encoder_frames_ = 0;
};

}  // namespace parley::asr
