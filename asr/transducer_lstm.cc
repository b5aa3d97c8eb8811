// Encoder family "lstm": icefall's LSTM transducer (lstm_transducer_stateless2/export-onnx.py), read
// as sherpa-onnx's OnlineLstmTransducerModel reads it.
//
// Metadata: T, decode_chunk_len, num_encoder_layers, d_model, rnn_hidden_size. Graph: inputs
// x[N, T, feature_dim], h[layers, N, d_model], c[layers, N, rnn_hidden_size] (any names; taken by
// position, as sherpa-onnx does) and outputs encoder_out, next h, next c.
#include <string>

#include "asr/transducer_model.h"
#include "kernels/error.h"

namespace parley::asr {

EncoderLayout read_lstm_layout(const onnx::Model& encoder, int feature_dim) {
  EncoderLayout layout;
  layout.feature_dim = feature_dim;
  layout.chunk_frames = metadata_int(encoder, "T");
  layout.chunk_shift_frames = metadata_int(encoder, "decode_chunk_len");
  const int layers = metadata_int(encoder, "num_encoder_layers");
  const int d_model = metadata_int(encoder, "d_model");
  const int hidden = metadata_int(encoder, "rnn_hidden_size");
  if (layers <= 0 || d_model <= 0 || hidden <= 0) {
    throw Error(encoder.path() +
                ": metadata num_encoder_layers, d_model and rnn_hidden_size must be positive");
  }
  layout.states.push_back({"h", onnx::ElemType::kFloat, onnx::Shape{layers, 1, d_model}});
  layout.states.push_back({"c", onnx::ElemType::kFloat, onnx::Shape{layers, 1, hidden}});
  return layout;
}

}  // namespace parley::asr
