/** docs/errors.md lists every error code the code can raise (one table a user can look a code up in). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;
/** upper-case string literals that are not error codes (Node's own codes, environment variables) */
const NOT_CODES = new Set(['ERR_MODULE_NOT_FOUND']);
const ENV = /^(ACTBENCH_(HOME|THREADS|SKIP_TENSORFLOW|BENCH_BACKENDS|REQUIRE_ONNX_CHECKER|NATIVE_[A-Z_]+)|TF_(CPP_MIN_LOG_LEVEL|ENABLE_ONEDNN_OPTS|NUM_[A-Z_]+|FORCE_[A-Z_]+)|NO_COLOR|FORCE_COLOR|LD_LIBRARY_PATH|OMP_[A-Z_]+|NODE_[A-Z_]+|XDG_[A-Z_]+|ONNXRUNTIME_[A-Z_]+|FASHION_MNIST_DIR|CUDA_[A-Z_]+|PIP_[A-Z_]+|PYTHON[A-Z_]*)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? (f === 'proto' ? [] : files(p)) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('docs/errors.md', () => {
  it('has a row for every code used under src/', () => {
    const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    const codes = new Set<string>();
    for (const f of files(join(root, 'src'))) for (const m of readFileSync(f, 'utf8').matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g)) codes.add(m[1]);
    const missing = [...codes].filter((c) => !NOT_CODES.has(c) && !ENV.test(c) && !doc.includes(`\`${c}\``));
    assert.deepEqual(missing, [], `codes without a row in docs/errors.md: ${missing.join(', ')}`);
    assert.ok(codes.size > 100, `${codes.size} codes found: the scan works`);
  });
});
