// open_vad — one entry point that turns a user's `--vad` argument into a VoiceActivityDetector:
//   * "energy"              → EnergyVad (energy_vad.h), no model needed;
//   * a path to a .onnx file → SileroVad (silero_vad.h); v4 / v5 / v6 and their half, op15 and
//                               if-less exports are told apart from the graph's inputs.
//
// Contracts
//   * Throws parley::Error naming the file for a missing or unreadable model, or a graph that is
//     not a Silero VAD (unknown inputs); naming the spec for anything that is neither "energy"
//     nor an existing path.
//   * The returned detector runs at options.sample_rate_hz (16000, or 8000 for Silero models
//     that take `sr`); feed it windows of window_samples() samples (512 at 16 kHz).
//   * The detector is single-stream (vad.h); open one per stream. Models are loaded per call —
//     to share one loaded Silero model between many streams use SileroVadModel directly.
//
// Usage
//   std::unique_ptr<parley::asr::VoiceActivityDetector> vad =
//       parley::asr::open_vad(args.vad);            // "energy" or "silero_vad_v5.onnx"
//   parley::asr::SpeechSegmenter segmenter(*vad, {.min_silence_seconds = 0.3f});
#pragma once

#include <memory>
#include <string>

#include "asr/vad.h"

namespace parley::asr {

struct VadOptions {
  int sample_rate_hz = 16000;  // 16000 or 8000 (Silero); energy takes any rate
};

std::unique_ptr<VoiceActivityDetector> open_vad(const std::string& spec,
                                                const VadOptions& options = {});

}  // namespace parley::asr
