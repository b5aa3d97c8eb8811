// Decode wave files with sherpa-onnx-node's streaming recognizer (reference only).
//
// Usage:
//   node sherpa_decode.js MODEL_DIR [--int8] [--refs DIR] LIST_OR_WAV...
// LIST files (ending .list) hold "utt_id<TAB>path.wav" lines; plain .wav arguments use their path
// as the id. Prints "utt_id<TAB>transcript" per file, in input order, on stdout.
// Greedy search, 0.5 s of zero tail padding before inputFinished(), no endpointing.
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
let int8 = false;
let refs = process.env.PARLEY_REFS_DIR || path.join(__dirname, '..', '..', '..', '.refs', 'node_modules');
const inputs = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--int8') int8 = true;
  else if (args[i] === '--refs') refs = args[++i];
  else inputs.push(args[i]);
}
if (inputs.length < 2) {
  console.error('usage: node sherpa_decode.js MODEL_DIR [--int8] [--refs DIR] LIST_OR_WAV...');
  process.exit(2);
}
const sherpa = require(path.join(refs, 'sherpa-onnx-node'));
const dir = inputs.shift();
const suffix = int8 ? '.int8.onnx' : '.onnx';
const recognizer = new sherpa.OnlineRecognizer({
  featConfig: {sampleRate: 16000, featureDim: 80},
  modelConfig: {
    transducer: {
      encoder: path.join(dir, 'encoder' + suffix),
      decoder: path.join(dir, 'decoder' + suffix),
      joiner: path.join(dir, 'joiner' + suffix),
    },
    tokens: path.join(dir, 'tokens.txt'),
    numThreads: 1,
    provider: 'cpu',
    debug: 0,
  },
  decodingMethod: 'greedy_search',
  enableEndpoint: 0,
});

const items = [];
for (const a of inputs) {
  if (a.endsWith('.list')) {
    for (const line of fs.readFileSync(a, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const [id, p] = line.split('\t');
      items.push([id, p]);
    }
  } else {
    items.push([a, a]);
  }
}
for (const [id, p] of items) {
  const wave = sherpa.readWave(p);
  const stream = recognizer.createStream();
  stream.acceptWaveform({samples: wave.samples, sampleRate: wave.sampleRate});
  stream.acceptWaveform(
      {samples: new Float32Array(Math.round(wave.sampleRate * 0.5)), sampleRate: wave.sampleRate});
  stream.inputFinished();
  while (recognizer.isReady(stream)) recognizer.decode(stream);
  const text = recognizer.getResult(stream).text.trim();
  process.stdout.write(`${id}\t${text}\n`);
}
