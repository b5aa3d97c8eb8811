// SileroVad — Silero's neural voice activity detector (MIT, Silero Team) on Parley's own ONNX
// executor (kernels/onnx), behind the VoiceActivityDetector interface (vad.h).
//
// Model families, told apart from the graph's inputs (names, not order):
//   * v4            inputs input[1,N], sr, h[2,1,64], c[2,1,64]; outputs output, hn, cn.
//                   Fed the bare window.
//   * v5 / v6       inputs input[1,N], state[2,1,128], sr; outputs output, stateN. Includes the
//                   spox exports (weights in If branches), the PyTorch `16k_op15` exports and the
//                   opset-18 `ifless` export.
//   * half          inputs input, state (no sr): v5 layout, 16 kHz only.
//   v5-layout models are fed each window with the last `context` samples of the previous window
//   prepended (64 at 16 kHz, 32 at 8 kHz; zeros before the first window), exactly as Silero's
//   own OnnxWrapper does — without it their probabilities collapse towards 0.
//   Windows are 512 samples at 16 kHz and 256 at 8 kHz (32 ms).
//
// Contracts
//   * SileroVadModel is immutable after load and shared by any number of SileroVad streams
//     (one per audio stream; a SileroVad is not thread-safe).
//   * Loading throws parley::Error naming the file: unreadable, unsupported ops, or inputs that
//     are no Silero layout. SileroVad's constructor throws for a rate the model does not take
//     and checks the model with one run. 16000 always; 8000 for v4 and for Silero's multi-rate
//     v5/v6 release files (producer "spox"); the PyTorch exports (16k_op15, op18_ifless, half)
//     are 16 kHz-only — they would run at 8 kHz and return wrong probabilities.
//   * speech_probability() never throws. A wrong window size or an executor error leaves the
//     recurrent state untouched, returns the previous probability and records the message in
//     error() (error_count() counts them). reset() clears state, context and errors.
//   * Allocation: the feeds, state and context buffers are preallocated and the executor's arena
//     is warm after the constructor's check run, so the VAD's own code allocates nothing per
//     window. kernels/onnx Session::run itself still does small heap allocations per call
//     (measured by silero_vad_test: 11-13 per window for the If-based exports, 4 for the if-less
//     one): the `fed` flags and the returned vector<Value>, plus per-node bookkeeping vectors for
//     nodes with unnamed outputs and If subgraph results. No arena block is allocated after
//     warm-up. speech_probability is therefore noexcept and bounded, but not malloc-free until
//     Session grows a preallocated run path.
//
// Usage
//   auto model = parley::asr::SileroVadModel::load("silero_vad_v5.onnx");
//   parley::asr::SileroVad vad(model);                 // 16 kHz
//   float p = vad.speech_probability(std::span(samples).subspan(i, vad.window_samples()));
//   if (!vad.error().empty()) log(vad.error());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "asr/vad.h"
#include "kernels/onnx/model.h"
#include "kernels/onnx/session.h"
#include "kernels/thread_pool.h"

namespace parley::asr {

enum class SileroLayout {
  kV4,      // input, sr, h, c
  kV5,      // input, state, sr (v5, v6, op15, ifless)
  kV5NoSr,  // input, state (half)
};

class SileroVadModel {
 public:
  // Throws parley::Error naming `path`.
  static std::shared_ptr<const SileroVadModel> load(const std::string& path);

  SileroLayout layout() const { return layout_; }
  const std::string& path() const { return model_->path(); }
  std::shared_ptr<const onnx::Model> onnx_model() const { return model_; }
  int64_t state_size() const { return state_size_; }  // hidden size per state tensor (64 / 128)
  bool supports_rate(int sample_rate_hz) const;
  // "silero v5 (silero_vad_v5.onnx)"
  std::string description() const;

  SileroVadModel(std::shared_ptr<const onnx::Model> model, SileroLayout layout, int64_t state_size);

 private:
  std::shared_ptr<const onnx::Model> model_;
  SileroLayout layout_;
  int64_t state_size_;
};

class SileroVad final : public VoiceActivityDetector {
 public:
  // `pool` runs the executor; null = an internal single-thread pool (no worker threads).
  explicit SileroVad(std::shared_ptr<const SileroVadModel> model, int sample_rate_hz = 16000,
                     kernels::ThreadPool* pool = nullptr);
  ~SileroVad() override;
  // The feeds point into this object (buffers and the `sr` value): neither copied nor moved.
  SileroVad(const SileroVad&) = delete;
  SileroVad& operator=(const SileroVad&) = delete;

  int sample_rate_hz() const override { return sample_rate_hz_; }
  size_t window_samples() const override { return window_samples_; }
  size_t context_samples() const { return context_samples_; }
  std::string name() const override { return model_->description(); }
  float speech_probability(std::span<const float> window) noexcept override;
  void reset() noexcept override;

  // Last failure of speech_probability() ("" when none since reset()).
  const std::string& error() const { return error_; }
  int64_t error_count() const { return error_count_; }
  const SileroVadModel& model() const { return *model_; }

 private:
  float run_model() noexcept;  // on input_; updates state and last_probability_

  std::shared_ptr<const SileroVadModel> model_;
  int sample_rate_hz_;
  size_t window_samples_;
  size_t context_samples_;
  std::unique_ptr<kernels::ThreadPool> own_pool_;
  std::unique_ptr<onnx::Session> session_;

  std::vector<float> input_;   // context + window
  std::vector<float> state_;   // v5: state[2,1,S]; v4: h[2,1,S] then c[2,1,S]
  int64_t sample_rate_value_;  // the `sr` feed
  std::vector<std::pair<std::string, onnx::Value>> feeds_;
  std::vector<std::string> output_names_;

  float last_probability_ = 0.0f;
  std::string error_;
  int64_t error_count_ = 0;
};

}  // namespace parley::asr
