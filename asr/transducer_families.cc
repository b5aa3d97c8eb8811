// The registry of streaming encoder families: one line per family, keyed by the encoder's ONNX
// metadata `model_type` (see transducer_model.h). A new family is one transducer_<family>.cc file
// defining its layout reader, plus one declaration and one line below.
#include "asr/transducer_model.h"

namespace parley::asr {

EncoderLayout read_zipformer2_layout(const onnx::Model& encoder, int feature_dim);
EncoderLayout read_lstm_layout(const onnx::Model& encoder, int feature_dim);

std::span<const EncoderFamily> encoder_families() {
  static constexpr EncoderFamily kFamilies[] = {
      {"zipformer2", &read_zipformer2_layout},
      {"lstm", &read_lstm_layout},
  };
  return kFamilies;
}

}  // namespace parley::asr
