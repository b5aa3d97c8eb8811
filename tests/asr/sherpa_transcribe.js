// Reference decoder for tests/asr/transducer_sherpa_test.cc, bench/asr_vs_sherpa.sh and
// models/recipes/asr (evaluate.py, record_heldout.py): decodes WAV files with sherpa-onnx-node's
// streaming transducer and prints one JSON object per file.
//
//   node tests/asr/sherpa_transcribe.js REFS_DIR MODEL_DIR greedy_search|modified_beam_search \
//        TAIL_PADDING_SECONDS [--threads N] [--int8] FILE.wav...
//
// Graphs: MODEL_DIR/part.onnx, else part.int8.onnx (a folder that ships only the int8 graphs,
// like models/asr); --int8 takes the int8 graphs even where the fp32 ones are present.
//
// Output lines: {"file", "text", "tokens" (symbols), "timestamps" (seconds), "audio_seconds",
// "compute_seconds"}. Endpointing is off; each file is fed whole, followed by TAIL_PADDING_SECONDS
// of zeros, then inputFinished(), then decode() while isReady() — the same schedule as
// parley::asr::Stream with tail_padding_seconds.
'use strict';
const fs = require('fs');
const path = require('path');

function main() {
  const argv = process.argv.slice(2);
  if (argv.length < 5) {
    console.error('usage: sherpa_transcribe.js REFS_DIR MODEL_DIR METHOD TAIL_PAD_S [--threads N] [--int8] FILE...');
    process.exit(2);
  }
  const [refs, modelDir, method, tailPad] = argv;
  let threads = 1;
  let int8 = false;
  const files = [];
  for (let i = 4; i < argv.length; ++i) {
    if (argv[i] === '--threads') threads = parseInt(argv[++i], 10);
    else if (argv[i] === '--int8') int8 = true;
    else files.push(argv[i]);
  }
  const sherpa = require(path.resolve(refs, 'sherpa-onnx-node'));
  const part = (name) => {
    const plain = path.join(modelDir, name + '.onnx');
    return !int8 && fs.existsSync(plain) ? plain : path.join(modelDir, name + '.int8.onnx');
  };
  const recognizer = new sherpa.OnlineRecognizer({
    featConfig: {sampleRate: 16000, featureDim: 80},
    modelConfig: {
      transducer: {
        encoder: part('encoder'),
        decoder: part('decoder'),
        joiner: part('joiner'),
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
