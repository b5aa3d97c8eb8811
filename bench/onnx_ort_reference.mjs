// Reference for bench/onnx_vs_ort.sh: ONNX Runtime (onnxruntime-node from .refs/, used only here,
// never linked into Parley) on the same model and input_N.pb files as `parley bench onnx`.
// One warm-up run, then RUNS timed runs; prints one JSON line with best and median ms per run,
// wall clock and process CPU time.
//   node bench/onnx_ort_reference.mjs MODEL.onnx INPUT_DIR [THREADS=1] [RUNS=10] [REFS_DIR]
// REFS_DIR defaults to $PARLEY_REFS_DIR or .refs/node_modules next to this folder.
// The timed call is `await session.run(feeds)`, so a few microseconds of Node overhead are
// included (it matters only for sub-millisecond graphs such as Silero VAD).
import {createRequire} from "node:module";
import {readFileSync, existsSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

const [modelPath, inputDir, threadsArg = "1", runsArg = "10", refsArg] = process.argv.slice(2);
if (!modelPath || !inputDir) {
  console.error("usage: node onnx_ort_reference.mjs MODEL.onnx INPUT_DIR [THREADS] [RUNS] [REFS_DIR]");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const refs = refsArg || process.env.PARLEY_REFS_DIR || join(here, "..", ".refs", "node_modules");
const require = createRequire(import.meta.url);
const ort = require(join(refs, "onnxruntime-node"));

// --- minimal onnx.TensorProto reader (fields: dims 1, data_type 2, float_data 4, int32_data 5,
// int64_data 7, name 8, raw_data 9, double_data 10) ---
function readVarint(buf, pos) {
  let result = 0n, shift = 0n;
  for (;;) {
    const byte = buf[pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}
function parseTensor(buf) {
  const t = {dims: [], type: 0, name: "", raw: null, floats: [], ints: [], doubles: []};
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n), wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) t.dims.push(Number(BigInt.asIntN(64, v)));
      else if (field === 2) t.type = Number(v);
      else if (field === 5 || field === 7) t.ints.push(BigInt.asIntN(64, v));
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      const end = pos + Number(len), body = buf.subarray(pos, end);
      if (field === 8) t.name = body.toString("utf8");
      else if (field === 9) t.raw = Buffer.from(body);
      else if (field === 4) for (let p = 0; p < body.length; p += 4) t.floats.push(body.readFloatLE(p));
      else if (field === 10) for (let p = 0; p < body.length; p += 8) t.doubles.push(body.readDoubleLE(p));
      else if (field === 1 || field === 5 || field === 7) {
        let q = 0;
        while (q < body.length) {
          let v;
          [v, q] = readVarint(body, q);
          if (field === 1) t.dims.push(Number(BigInt.asIntN(64, v)));
          else t.ints.push(BigInt.asIntN(64, v));
        }
      }
      pos = end;
    } else if (wire === 5) {
      if (field === 4) t.floats.push(buf.readFloatLE(pos));
      pos += 4;
    } else if (wire === 1) {
      if (field === 10) t.doubles.push(buf.readDoubleLE(pos));
      pos += 8;
    } else {
      throw new Error("unsupported protobuf wire type " + wire);
    }
  }
  return t;
}
const kinds = {1: ["float32", Float32Array], 6: ["int32", Int32Array], 7: ["int64", BigInt64Array],
               11: ["float64", Float64Array], 9: ["bool", Uint8Array], 3: ["int8", Int8Array],
               2: ["uint8", Uint8Array]};
function toOrtTensor(t) {
  const kind = kinds[t.type];
  if (!kind) throw new Error("unsupported tensor data_type " + t.type);
  const [name, Ctor] = kind;
  const count = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    const copy = new Uint8Array(t.raw);  // aligned copy
    data = new Ctor(copy.buffer, 0, count);
  } else if (t.type === 1) data = Float32Array.from(t.floats);
  else if (t.type === 11) data = Float64Array.from(t.doubles);
  else if (t.type === 7) data = BigInt64Array.from(t.ints);
  else data = Ctor.from(t.ints.map(Number));
  if (name === "bool") return new ort.Tensor("bool", data, t.dims);
  return new ort.Tensor(name, data, t.dims);
}

const threads = Number(threadsArg), runs = Number(runsArg);
const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential",
  graphOptimizationLevel: "all"});
const feeds = {};
session.inputNames.forEach((name, i) => {
  const file = join(inputDir, `input_${i}.pb`);
  if (!existsSync(file)) throw new Error("missing " + file);
  feeds[name] = toOrtTensor(parseTensor(readFileSync(file)));
});
let t0 = performance.now();
await session.run(feeds);
const firstMs = performance.now() - t0;
// Sub-millisecond graphs: time batches of calls so the timer's resolution does not matter.
const batch = firstMs < 2 ? 50 : 1;
// CPU time of the process per run as well: on a shared machine it is steadier than wall time
// (with one intra-op thread ONNX Runtime computes on the calling thread).
const times = [], cpus = [];
for (let r = 0; r < runs; ++r) {
  t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let b = 0; b < batch; ++b) await session.run(feeds);
  const c = process.cpuUsage(c0);
  times.push((performance.now() - t0) / batch);
  cpus.push((c.user + c.system) / 1000 / batch);
}
times.sort((a, b) => a - b);
cpus.sort((a, b) => a - b);
console.log(JSON.stringify({engine: "onnxruntime-node " + (ort.env?.versions?.common ?? ""),
  model: modelPath, threads, runs, first_run_ms: firstMs, best_ms: times[0],
  median_ms: times[Math.floor(times.length / 2)], best_cpu_ms: cpus[0],
  median_cpu_ms: cpus[Math.floor(cpus.length / 2)]}));
