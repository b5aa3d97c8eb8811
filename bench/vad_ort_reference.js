// ONNX Runtime (onnxruntime-node, reference only) timing of a Silero VAD model, window by window,
// 1 thread — the comparison for `parley bench vad` (see bench/vad_vs_ort.sh). Usage:
//   node vad_ort_reference.js REFS_DIR MODEL.onnx FILE.wav [PASSES]
// Prints two JSON lines: onnxruntime-node's InferenceSession.run (asynchronous: each window pays
// a promise and a hop to a worker thread) with windows, ms per window (best pass and mean) and a
// checksum of the probabilities (their sum, to show both runtimes did the same work); then
// sherpa-onnx-node's Vad, which runs onnxruntime C++ synchronously — the fairer figure for ORT's
// own compute.
'use strict';
const path = require('path');
const [refs, modelPath, wav, passesArg] = process.argv.slice(2);
const ort = require(path.resolve(refs, 'onnxruntime-node'));
const sherpa = require(path.resolve(refs, 'sherpa-onnx-node'));  // only for readWave

async function main() {
  const passes = Number(passesArg || 3);
  const wave = sherpa.readWave(wav);
  if (wave.sampleRate !== 16000) throw new Error(`${wav}: need 16 kHz, got ${wave.sampleRate}`);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'});
  const names = session.inputNames;
  const v4 = names.includes('h');
  const context = v4 ? 0 : 64;
  const window = 512;
  const stateSize = v4 ? 64 : 128;
  const samples = wave.samples;
  const windows = Math.floor(samples.length / window);
  let best = Infinity, total = 0, checksum = 0;
  for (let pass = 0; pass < passes; ++pass) {
    let h = new Float32Array(2 * stateSize), c = new Float32Array(2 * stateSize);
    const input = new Float32Array(context + window);
    const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
    checksum = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < windows; ++i) {
      input.copyWithin(0, window, window + context);  // last `context` samples of the previous window
      input.set(samples.subarray(i * window, (i + 1) * window), context);
      const feeds = {input: new ort.Tensor('float32', input, [1, context + window])};
      if (names.includes('sr')) feeds.sr = sr;
      let out;
      if (v4) {
        feeds.h = new ort.Tensor('float32', h, [2, 1, stateSize]);
        feeds.c = new ort.Tensor('float32', c, [2, 1, stateSize]);
        out = await session.run(feeds);
        h = out.hn.data; c = out.cn.data;
      } else {
        feeds.state = new ort.Tensor('float32', h, [2, 1, stateSize]);
        out = await session.run(feeds);
        h = out.stateN.data;
      }
      checksum += out.output.data[0];
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / windows;
    best = Math.min(best, ms);
    total += ms;
  }
  console.log(JSON.stringify({runtime: 'onnxruntime-node', model: path.basename(modelPath),
    windows, threads: 1, ms_per_window_best: best, ms_per_window_mean: total / passes,
    probability_sum: checksum}));

  // sherpa-onnx's Vad calls onnxruntime's C++ Session::Run synchronously (one N-API call per
  // window, no promise): ORT's compute per window plus sherpa's small segmenting step.
  // sherpa-onnx exits the process for any other input order (the if-less and half exports).
  if (names.join() !== (v4 ? 'input,sr,h,c' : 'input,state,sr')) return;
  let sherpaBest = Infinity, sherpaTotal = 0;
  for (let pass = 0; pass < passes; ++pass) {
    const vad = new sherpa.Vad({sileroVad: {model: modelPath, threshold: 0.5, minSpeechDuration: 0.25,
      minSilenceDuration: 0.5, maxSpeechDuration: 20, windowSize: window}, sampleRate: 16000,
      numThreads: 1, provider: 'cpu', debug: 0}, 120);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < windows; ++i) {
      vad.acceptWaveform(samples.subarray(i * window, (i + 1) * window));
      while (!vad.isEmpty()) vad.pop();
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / windows;
    sherpaBest = Math.min(sherpaBest, ms);
    sherpaTotal += ms;
  }
  console.log(JSON.stringify({runtime: 'sherpa-onnx-node Vad (onnxruntime C++, synchronous)',
    model: path.basename(modelPath), windows, threads: 1, ms_per_window_best: sherpaBest,
    ms_per_window_mean: sherpaTotal / passes}));
}
main().catch((e) => { console.error(e.message); process.exit(1); });
