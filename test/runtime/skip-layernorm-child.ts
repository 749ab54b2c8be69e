/**
 * Child of skip-layernorm.test.ts: creates a session through src/runtime/session.ts for the model file in
 * argv[2] at the level in argv[3] and prints the info and output as JSON. A SIGSEGV in onnxruntime kills
 * only this process, so the test fails instead of the runner.
 */
import { readFileSync } from 'node:fs';
import { createSession, runOnce, type OptLevel } from '../../src/runtime/session.js';

const [file, level, raw] = process.argv.slice(2);
const s = raw === 'raw' ? null : await createSession(file, { ep: 'cpu', optLevel: level as OptLevel });
if (raw === 'raw') {
  // the same model without the guard: onnxruntime-node directly
  const ort = await import('onnxruntime-node');
  await ort.InferenceSession.create(readFileSync(file), { graphOptimizationLevel: level as OptLevel });
  console.log(JSON.stringify({ created: true }));
} else if (s) {
  const x = Float32Array.from({ length: 64 }, (_, k) => Math.sin(k));
  const y = await runOnce(s.session, x, [2, 4, 8]);
  console.log(JSON.stringify({ optLevel: s.optLevel, disabledOptimizers: s.disabledOptimizers, y: Array.from(y) }));
}
