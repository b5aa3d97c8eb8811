// ONNX Runtime reference for tests/tts/piper_voice_test.cc: runs a Piper graph on the id
// sequences in IDS_JSON ({"sentences": [[ids...], ...], "scales": [n, l, w], "sid": null | id})
// with one thread, and writes each sentence's output as uint32 sample count + float32 samples
// (little-endian) to OUT. onnxruntime-node is a reference only, never linked into Parley.
//   node piper_ort_reference.mjs REFS_DIR MODEL.onnx IDS_JSON OUT
import {createRequire} from "node:module";
import {readFileSync, writeFileSync} from "node:fs";

const [refsDir, modelPath, idsPath, outPath] = process.argv.slice(2);
const ort = createRequire(refsDir + "/")("onnxruntime-node");
const request = JSON.parse(readFileSync(idsPath, "utf8"));
const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential"});
const parts = [];
for (const ids of request.sentences) {
  const feeds = {
    input: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    input_lengths: new ort.Tensor("int64", BigInt64Array.from([BigInt(ids.length)]), [1]),
    scales: new ort.Tensor("float32", Float32Array.from(request.scales), [3]),
  };
  if (request.sid !== null && request.sid !== undefined) {
    feeds.sid = new ort.Tensor("int64", BigInt64Array.from([BigInt(request.sid)]), [1]);
  }
  const output = (await session.run(feeds)).output.data;
  const header = Buffer.alloc(4);
  header.writeUInt32LE(output.length);
  parts.push(header, Buffer.from(output.buffer, output.byteOffset, output.byteLength));
}
writeFileSync(outPath, Buffer.concat(parts));
