/**
 * The reference ONNX checker: onnx.checker.check_model(full_check=True) plus strict shape inference,
 * run by Debian's python3-onnx (opset ≤ CHECKER_MAX_OPSET of opsets.ts, IR ≤ 8). Optional at run time; required in CI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const SCRIPT = `
import json, sys
import onnx
from onnx import checker, shape_inference
out = []
for path in sys.argv[1:]:
    try:
        m = onnx.load(path)
        checker.check_model(m, full_check=True)
        shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
        out.append({"file": path, "ok": True})
    except Exception as e:
        out.append({"file": path, "ok": False, "error": str(e).strip().splitlines()[0][:500]})
print(json.dumps({"version": onnx.__version__, "results": out}))
`;

export interface CheckResult {
  file: string;
  ok: boolean;
  error?: string;
}

let cached: string | null | undefined;

/** A python interpreter that can import onnx, or null. ACTBENCH_PYTHON overrides the search. */
export function findOnnxPython(): string | null {
  if (cached !== undefined) return cached;
  const candidates = [process.env.ACTBENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  cached = null;
  for (const py of candidates) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (r.status === 0) {
      cached = py;
      break;
    }
  }
  return cached;
}

/** Check model files; returns null when no checker is installed. */
export function checkModels(files: string[]): { version: string; results: CheckResult[] } | null {
  const py = findOnnxPython();
  if (!py) return null;
  const r = spawnSync(py, ['-c', SCRIPT, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`onnx checker failed to run: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout) as { version: string; results: CheckResult[] };
}
