// transcribe_sound — a whole recording through the streaming recognizer, cut into utterances so
// every segment of the transcript has a start and an end in file time: what the transcription
// route, /v1/converse and the Wyoming server share.
//
// How
//   The mono audio is resampled to 16 kHz (audio::resample) and segmented by an energy VAD
//   (asr::EnergyVad + asr::SpeechSegmenter, min silence 0.5 s, max speech 20 s, padding 0.2 s).
//   Each speech segment is fed to one asr::Stream in chunks of `chunk_ms` and ended with
//   Stream::end_utterance(); its tokens' and words' times are moved from stream time to file
//   time. Silence yields no segments (text ""). With `use_vad` false the whole audio is one
//   stream cut only by the recognizer's own endpoints.
//
// Contracts
//   * The recognizer is shared read-only; the stream is created here on `pool` (null: the
//     stream's own pool). Throws parley::Error from the engine; `cancelled` (polled between
//     chunks) returning true throws TranscriptionCancelled.
//
// Usage
//   Transcript t = transcribe_sound(*context.asr_recognizer, sound, &lease.pool());
//   std::string srt = format_transcript(t, TranscriptFormat::kSrt, {});
#pragma once

#include <functional>
#include <string>

#include "assistant/server/transcript_formats.h"
#include "audio/sound_file.h"
#include "kernels/error.h"

namespace parley::asr {
class Recognizer;
struct RecognitionResult;
}  // namespace parley::asr
namespace parley::kernels {
class ThreadPool;
}

namespace parley::assistant::server {

class TranscriptionCancelled : public Error {
 public:
  TranscriptionCancelled() : Error("transcription cancelled") {}
};

struct TranscribeOptions {
  bool use_vad = true;
  int chunk_ms = 100;
  std::string language = "en";
  std::function<bool()> cancelled;  // optional
};

// `mono` must have channel_count 1 (decode_audio_bytes() gives that).
Transcript transcribe_sound(const asr::Recognizer& recognizer, const audio::SoundBuffer& mono,
                            kernels::ThreadPool* pool, const TranscribeOptions& options = {});

// One recognizer result as a transcript segment ending at `end_seconds`, its times shifted by
// `shift_seconds` (stream time → file time).
TranscriptSegment segment_from_result(const asr::RecognitionResult& result, double end_seconds,
                                      double shift_seconds);

}  // namespace parley::assistant::server
