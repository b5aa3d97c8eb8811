#include "assistant/server/audio_transcriber.h"

#include <algorithm>
#include <memory>
#include <span>
#include <vector>

#include "asr/energy_vad.h"
#include "asr/recognizer.h"
#include "asr/speech_segmenter.h"
#include "audio/resampler.h"

namespace parley::assistant::server {
namespace {

constexpr int kAsrRateHz = 16000;

void feed(asr::Stream& stream, std::span<const float> samples, const TranscribeOptions& options,
          const std::function<void()>& after_chunk = {}) {
  const size_t chunk =
      std::max<size_t>(1, static_cast<size_t>(kAsrRateHz) * std::max(1, options.chunk_ms) / 1000);
  for (size_t pos = 0; pos < samples.size(); pos += chunk) {
    if (options.cancelled && options.cancelled()) throw TranscriptionCancelled();
    stream.accept(samples.subspan(pos, std::min(chunk, samples.size() - pos)), kAsrRateHz);
    stream.decode();
    if (after_chunk) after_chunk();
  }
}

}  // namespace

TranscriptSegment segment_from_result(const asr::RecognitionResult& result, double end_seconds,
                                      double shift_seconds) {
  TranscriptSegment segment;
  segment.start_seconds = result.start_seconds + shift_seconds;
  // The first token is a better start than the padded utterance start.
  if (!result.timestamps_seconds.empty()) {
    segment.start_seconds = result.timestamps_seconds.front() + shift_seconds;
  }
  segment.end_seconds = std::max(end_seconds, segment.start_seconds);
  segment.text = result.text;
  segment.token_ids = result.token_ids;
  for (const asr::RecognizedWord& w : result.words) {
    segment.words.push_back({w.text, w.start_seconds + shift_seconds,
                             std::min(w.end_seconds + shift_seconds, segment.end_seconds)});
  }
  return segment;
}

Transcript transcribe_sound(const asr::Recognizer& recognizer, const audio::SoundBuffer& mono,
                            kernels::ThreadPool* pool, const TranscribeOptions& options) {
  if (mono.channel_count != 1) throw Error("transcribe_sound: audio must be mono");
  if (mono.sample_rate_hz <= 0) throw Error("transcribe_sound: invalid sample rate");
  Transcript transcript;
  transcript.language = options.language;
  transcript.duration_seconds = mono.duration_seconds();
  const std::vector<float> samples =
      mono.sample_rate_hz == kAsrRateHz
          ? mono.samples
          : audio::resample(mono.samples, mono.sample_rate_hz, kAsrRateHz, 1);
  std::unique_ptr<asr::Stream> stream = recognizer.create_stream(pool);

  if (!options.use_vad) {
    auto finish = [&](bool at_end) {
      const double end = std::min(stream->audio_seconds(), transcript.duration_seconds);
      const asr::RecognitionResult r = stream->final();
      if (!at_end) stream->reset();
      if (!r.text.empty()) transcript.segments.push_back(segment_from_result(r, end, 0.0));
    };
    feed(*stream, samples, options, [&] {
      if (stream->is_endpoint()) finish(false);
    });
    stream->input_finished();
    finish(true);
    return transcript;
  }

  asr::EnergyVad vad({.sample_rate_hz = kAsrRateHz});
  const asr::SegmenterConfig segmenter{.min_speech_seconds = 0.25f,
                                       .min_silence_seconds = 0.5f,
                                       .max_speech_seconds = 20.0f,
                                       .speech_pad_seconds = 0.2f};
  for (const asr::SpeechSegment& s : asr::segment_speech(vad, samples, segmenter)) {
    const auto first = static_cast<size_t>(std::max<int64_t>(0, s.start_sample));
    const auto last =
        std::min(static_cast<size_t>(std::max<int64_t>(0, s.end_sample)), samples.size());
    if (last <= first) continue;
    const double stream_start = stream->audio_seconds();
    feed(*stream, std::span<const float>(samples).subspan(first, last - first), options);
    const asr::RecognitionResult r = stream->end_utterance();
    const double shift = static_cast<double>(first) / kAsrRateHz - stream_start;
    TranscriptSegment segment =
        segment_from_result(r, static_cast<double>(last) / kAsrRateHz, shift);
    segment.start_seconds =
        std::max(segment.start_seconds, static_cast<double>(first) / kAsrRateHz);
    if (!segment.text.empty()) transcript.segments.push_back(std::move(segment));
  }
  return transcript;
}

}  // namespace parley::assistant::server
