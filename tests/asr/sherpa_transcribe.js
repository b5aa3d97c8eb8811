// Reference decoder for tests/asr/transducer_sherpa_test.cc and bench/asr_vs_sherpa.sh: decodes WAV
// files with sherpa-onnx-node's streaming transducer and prints one JSON object per file.
//
//   node tests/asr/sherpa_transcribe.js REFS_DIR MODEL_DIR greedy_search|modified_beam_search \
//        TAIL_PADDING_SECONDS [--threads N] [--time] FILE.wav...
//
// Output lines: {"file", "text", "tokens" (symbols), "timestamps" (seconds), "audio_seconds",
// "compute_seconds"}. Endpointing is off; each file is fed whole, followed by TAIL_PADDING_SECONDS
// of zeros, then inputFinished(), then decode() while isReady() — the same schedule as
// parley::asr::Stream with tail_padding_seconds.
'use strict';
const path = require('path');

function main() {
  const argv = process.argv.slice(2);
  if (argv.length < 5) {
    console.error('usage: sherpa_transcribe.js REFS_DIR MODEL_DIR METHOD TAIL_PAD_S [--threads N] FILE...');
    process.exit(2);
  }
  const [refs, modelDir, method, tailPad] = argv;
  let threads = 1;
  const files = [];
  for (let i = 4; i < argv.length; ++i) {
    if (argv[i] === '--threads') threads = parseInt(argv[++i], 10);
    else files.push(argv[i]);
  }
  const sherpa = require(path.resolve(refs, 'sherpa-onnx-node'));
  const recognizer = new sherpa.OnlineRecognizer({
    featConfig: {sampleRate: 16000, featureDim: 80},
    modelConfig: {
      transducer: {
        encoder: path.join(modelDir, 'encoder.onnx'),
        decoder: path.join(modelDir, 'decoder.onnx'),
        joiner: path.join(modelDir, 'joiner.onnx'),
      },
      tokens: path.join(modelDir, 'tokens.txt'),
      numThreads: threads,
      provider: 'cpu',
      debug: 0,
    },
    decodingMethod: method,
    maxActivePaths: 4,
    enableEndpoint: 0,
  });
  for (const file of files) {
    const wave = sherpa.readWave(file);
    const start = process.hrtime.bigint();
    const stream = recognizer.createStream();
    stream.acceptWaveform({samples: wave.samples, sampleRate: wave.sampleRate});
    const padding = Math.round(parseFloat(tailPad) * wave.sampleRate);
    if (padding > 0) {
      stream.acceptWaveform({samples: new Float32Array(padding), sampleRate: wave.sampleRate});
    }
    stream.inputFinished();
    while (recognizer.isReady(stream)) recognizer.decode(stream);
    const result = recognizer.getResult(stream);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(JSON.stringify({
      file,
      text: result.text,
      tokens: result.tokens,
      timestamps: result.timestamps,
      audio_seconds: wave.samples.length / wave.sampleRate,
      compute_seconds: seconds,
    }));
  }
}

main();
