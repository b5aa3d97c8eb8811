// Piper path against ONNX Runtime, side by side in one run, 1 thread, on the exact Piper VITS
// graph with random weights (../shared/testdata/tts/piper_vits_medium_random) and a two-sentence
// reply (tts_sentence.txt), scales (0, 1, 0) so both produce the same samples:
//   ours   `parley bench tts` — text shaping excluded, phonemes + one model run per sentence
//          (Piper's segmentation); first audio = the first sentence's samples reach the sink.
//   ORT    onnxruntime-node (reference only, never linked into Parley) on exactly our
//          per-sentence ids (written by `bench tts --ids-json`): whole reply = both runs.
// Then espeak-ng's time to first audio. Targets (issue 8): our first audio <= 0.35x ORT's whole
// reply; our whole-reply RTF <= 0.8x ORT's; espeak-ng first audio <= 20 ms.
//   node bench/tts_vs_ort.mjs [BUILD_DIR=build] [RUNS=5]
// Prints one JSON line per engine and a summary line. Medians of RUNS after one warm-up run, in
// wall time and in process CPU time (the steadier figure on a shared machine; 1 thread each).
import {spawnSync} from "node:child_process";
import {createRequire} from "node:module";
import {existsSync, readFileSync, mkdtempSync} from "node:fs";
import {tmpdir} from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [buildArg = "build", runsArg = "5"] = process.argv.slice(2);
const runs = Number(runsArg);
const parley = path.resolve(root, buildArg, "assistant/parley");
const testdata = path.resolve(root, "../shared/testdata/tts");
const model = path.join(testdata, "piper_vits_medium_random/model.onnx");
const config = path.join(testdata, "voices/en_US-lessac-medium.onnx.json");
const text = readFileSync(path.join(testdata, "tts_sentence.txt"), "utf8").trim();
const refs = process.env.PARLEY_REFS_DIR ?? path.join(root, ".refs/node_modules");
for (const [what, file] of [["parley", parley], ["model", model], ["config", config],
                            ["onnxruntime-node", path.join(refs, "onnxruntime-node")]]) {
  if (!existsSync(file)) {
    console.error(`tts_vs_ort: missing ${what}: ${file}`);
    process.exit(2);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function parleyBench(args) {
  // OpenBLAS (Conv's im2col GEMM) held to one thread too, like ORT's intra-op pool.
  const result = spawnSync(parley, ["bench", "tts", ...args],
                           {encoding: "utf8", env: {...process.env, OPENBLAS_NUM_THREADS: "1"}});
  if (result.status !== 0) throw new Error(`parley bench tts failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop());
}

// 1. Ours.
const idsPath = path.join(mkdtempSync(path.join(tmpdir(), "parley-tts-")), "ids.json");
const ours = parleyBench(["--voice", model, "--voice-config", config, "--threads", "1",
                          "--runs", String(runs), "--noise-scale", "0", "--length-scale", "1",
                          "--noise-w", "0", "--ids-json", idsPath, text]);
ours.engine = "parley";
console.log(JSON.stringify(ours));

// 2. ONNX Runtime on the same ids.
const ort = createRequire(refs + "/")("onnxruntime-node");
const request = JSON.parse(readFileSync(idsPath, "utf8"));
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential"});
const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
async function reply() {
  const start = performance.now();
  const cpuStart = cpuSeconds();
  let first = 0, firstCpu = 0, samples = 0;
  for (const [i, ids] of request.sentences.entries()) {
    const feeds = {
      input: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      input_lengths: new ort.Tensor("int64", BigInt64Array.from([BigInt(ids.length)]), [1]),
      scales: new ort.Tensor("float32", Float32Array.from(request.scales), [3]),
    };
    if (request.sid !== null) {
      feeds.sid = new ort.Tensor("int64", BigInt64Array.from([BigInt(request.sid)]), [1]);
    }
    samples += (await session.run(feeds)).output.data.length;
    if (i === 0) {
      first = performance.now() - start;
      firstCpu = cpuSeconds() - cpuStart;
    }
    if (i + 1 < request.sentences.length) samples += request.sentence_silence_samples;
  }
  return {seconds: (performance.now() - start) / 1000, first_seconds: first / 1000,
          cpu_seconds: cpuSeconds() - cpuStart, first_cpu_seconds: firstCpu, samples};
}
await reply();  // warm-up
const ortRuns = [];
for (let r = 0; r < runs; ++r) ortRuns.push(await reply());
const ortAudio = ortRuns[0].samples / 22050;
const ortResult = {
  engine: `onnxruntime-node ${ort.env?.versions?.common ?? ""}`.trim(), threads: 1, runs,
  audio_seconds: ortAudio,
  compute_seconds: median(ortRuns.map((r) => r.seconds)),
  first_sentence_seconds: median(ortRuns.map((r) => r.first_seconds)),
  compute_cpu_seconds: median(ortRuns.map((r) => r.cpu_seconds)),
  first_sentence_cpu_seconds: median(ortRuns.map((r) => r.first_cpu_seconds)),
};
ortResult.rtf = ortResult.compute_seconds / ortAudio;
console.log(JSON.stringify(ortResult));

// 3. espeak-ng's time to first audio on the same reply.
const espeak = parleyBench(["--voice", "espeak:en-us", "--runs", String(Math.max(runs, 5)), text]);
espeak.engine = "parley espeak-ng";
console.log(JSON.stringify(espeak));

const summary = {
  same_audio_length: Math.abs(ours.audio_seconds - ortAudio) < 1e-6,
  first_audio_vs_ort_whole_reply: ours.first_audio_seconds / ortResult.compute_seconds,
  first_audio_target: 0.35,
  first_audio_vs_ort_whole_reply_cpu:
      ours.first_audio_cpu_seconds / ortResult.compute_cpu_seconds,
  rtf_vs_ort: ours.rtf / ortResult.rtf,
  rtf_vs_ort_cpu: ours.compute_cpu_seconds / ortResult.compute_cpu_seconds,
  rtf_target: 0.8,
  espeak_first_audio_ms: 1000 * espeak.first_audio_seconds,
  espeak_first_audio_target_ms: 20,
};
console.log(JSON.stringify(summary));
