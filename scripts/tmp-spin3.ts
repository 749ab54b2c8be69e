import { createSession } from '../src/runtime/session.js';
import * as ort from 'onnxruntime-node';
const M = '/tmp/fresh/models/study-fashion-mnist-cnn_small';
const acts = ['relu', 'silu', 'gelu', 'la_silu', 'la_hardsilu', 'velu'];
const x = (n: number) => new ort.Tensor('float32', new Float32Array(n * 784).map((_, k) => Math.sin(k)), [n, 1, 28, 28]);
const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
const settleMs = Number(process.env.SETTLE ?? 60);
const ss = await Promise.all(acts.map((a) => createSession(`${M}/${a}-s1/model.onnx`, { ep: 'cpu', spinning: true })));
const x1 = x(1), x128 = x(128);
const t1 = acts.map(() => [] as number[]), t128 = acts.map(() => [] as number[]);
for (let r = 0; r < 10; r++) for (const [k, s] of ss.entries()) {
  const n = s.session.inputNames[0];
  const t0 = performance.now();
  do await s.session.run({ [n]: x1 }); while (performance.now() - t0 < settleMs);
  for (let i = 0; i < 20; i++) { const t = performance.now(); await s.session.run({ [n]: x1 }); t1[k].push(performance.now() - t); }
  for (let i = 0; i < 2; i++) { const t = performance.now(); await s.session.run({ [n]: x128 }); t128[k].push(performance.now() - t); }
}
console.log(`settle ${settleMs} ms: ` + acts.map((a, k) => `${a} b1 ${med(t1[k]).toFixed(3)} b128 ${(128000 / med(t128[k])).toFixed(0)}/s`).join(' | '));
