// ONNX Runtime (CPU) side of the model benchmark: serves timed runs to bench_models_torch.py, which
// interleaves it with hemovk and PyTorch. Not a test.
//
//   node bench/bench_models_ort.mjs MODEL.onnx THREADS N,C,H,W [SCALE]
//
// Needs onnxruntime-node installed under bench/ort (git-ignored):
//   (mkdir -p bench/ort && cd bench/ort && npm install --ignore-scripts onnxruntime-node)
// (--ignore-scripts: its install script would try to download GPU files; the CPU library ships in the
// package). Protocol on stdin/stdout, one line each: "run K" -> "times <ms> ..." (wall time of each
// session.run), "quit". First line out: "info ort=<version> threads=<n>". Input: uniform [0, SCALE).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "ort", "package.json"));
let ort;
try {
  ort = require("onnxruntime-node");
} catch (e) {
  console.log(`error onnxruntime-node not installed under bench/ort (${e.message.split("\n")[0]})`);
  process.exit(3);
}

const [model, threadsArg, shapeArg, scaleArg] = process.argv.slice(2);
if (!model || !threadsArg || !shapeArg) {
  console.log("error usage: bench_models_ort.mjs MODEL.onnx THREADS N,C,H,W [SCALE]");
  process.exit(2);
}
const threads = Number(threadsArg);
const dims = shapeArg.split(",").map(Number);
const scale = Number(scaleArg ?? 1);

const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  // no spin-waiting between runs: the pool's threads would otherwise burn the cores while hemovk and
  // PyTorch take their turns (the runs are interleaved)
  extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
});
const n = dims.reduce((a, b) => a * b, 1);
const data = new Float32Array(n);
let s = 12345;
for (let i = 0; i < n; i++) {
  s = (s * 1103515245 + 12345) % 2147483648; // deterministic, values do not affect the timing
  data[i] = (s / 2147483648) * scale;
}
const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, dims) };
await session.run(feeds); // warm-up
const version = require("onnxruntime-node/package.json").version;
console.log(`info ort=${version} threads=${threads}`);

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const m = /^run (\d+)/.exec(line);
  if (m) {
    const ms = [];
    for (let i = 0; i < Number(m[1]); i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log("times " + ms.map((v) => v.toFixed(3)).join(" "));
  } else if (line.startsWith("quit")) {
    break;
  } else {
    console.log(`error unknown command: ${line}`);
  }
}
process.exit(0);
