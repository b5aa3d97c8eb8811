// Reference for bench/llm_decode.sh: llama.cpp itself (node-llama-cpp's prebuilt CPU libraries
// from npm — used only here, never linked into Parley) on the same GGUF files.
// Prefill P tokens, then G greedy tokens; best of 2; prints one JSON line.
//   npm install --prefix /tmp/parley-llamacpp node-llama-cpp@3.22.1 --ignore-scripts
//   NODE_PATH=/tmp/parley-llamacpp/node_modules node bench/llamacpp_reference.mjs MODEL.gguf 2 128 32
// (ES modules ignore NODE_PATH; bench/llm_decode.sh copies this file next to node_modules.)
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
const [modelPath, threadsArg = "2", promptArg = "128", genArg = "32"] = process.argv.slice(2);
const threads = Number(threadsArg), P = Number(promptArg), G = Number(genArg);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
let bestPrefill = 1e9, bestDecode = 1e9;
for (let rep = 0; rep < 2; ++rep) {
  const context = await model.createContext({contextSize: P + G + 16, threads, batchSize: P, flashAttention: false});
  const seq = context.getSequence();
  const tokens = Array.from({length: P}, (_, i) => 3 + ((i * 7919) % 30000));
  const t0 = performance.now();
  let t1 = 0, n = 0;
  for await (const _token of seq.evaluate(tokens, {temperature: 0})) {
    if (n === 0) t1 = performance.now();
    if (++n > G) break;
  }
  const t2 = performance.now();
  bestPrefill = Math.min(bestPrefill, (t1 - t0) / 1000);
  bestDecode = Math.min(bestDecode, (t2 - t1) / 1000);
  await context.dispose();
}
console.log(JSON.stringify({reference: "llama.cpp via node-llama-cpp " + llama.llamaCppRelease?.release, model: modelPath, threads,
  prefill_tokens_per_s: P / bestPrefill, decode_tokens_per_s: G / bestDecode}));
process.exit(0);
