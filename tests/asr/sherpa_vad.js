// Speech segments from sherpa-onnx's Vad (the reference for vad_sherpa_test; never part of the
// product). Usage:
//   node sherpa_vad.js REFS_DIR MODEL.onnx FILE.wav THRESHOLD MIN_SPEECH_S MIN_SILENCE_S MAX_SPEECH_S
// Prints one "start end" line per segment, in seconds. The audio is fed 512 samples at a time, as
// sherpa-onnx's own examples do (its VAD ORs the decisions of all windows in one call).
'use strict';
const path = require('path');
const [refs, model, wav, threshold, minSpeech, minSilence, maxSpeech] = process.argv.slice(2);
const sherpa = require(path.resolve(refs, 'sherpa-onnx-node'));

const wave = sherpa.readWave(wav);
if (wave.sampleRate !== 16000) throw new Error(`${wav}: sample rate ${wave.sampleRate}, need 16000`);
const vad = new sherpa.Vad({
  sileroVad: {
    model,
    threshold: Number(threshold),
    minSpeechDuration: Number(minSpeech),
    minSilenceDuration: Number(minSilence),
    maxSpeechDuration: Number(maxSpeech),
    windowSize: 512,
  },
  sampleRate: 16000,
  numThreads: 1,
  provider: 'cpu',
  debug: 0,
}, 120);

const lines = [];
function drain() {
  while (!vad.isEmpty()) {
    const segment = vad.front(false);
    lines.push(`${(segment.start / 16000).toFixed(4)} ` +
               `${((segment.start + segment.samples.length) / 16000).toFixed(4)}`);
    vad.pop();
  }
}
const window = 512;
for (let i = 0; i + window <= wave.samples.length; i += window) {
  vad.acceptWaveform(wave.samples.subarray(i, i + window));
  drain();
}
vad.flush();
drain();
console.log(lines.join('\n'));
