/**
 * The corruption addon's hot loops (native/kernels.cc: noise draws, Gaussian filter, clipped zoom, filter2D,
 * motion blur) against their TypeScript fallbacks: every corruption at every severity (kernels-cases.ts)
 * gives the same bytes in a child process without the addon as here with it, and the same float results —
 * exactly, except where a Gaussian draw's ln is the C library's in the addon (as numpy's: its draws equal
 * numpy's bit for bit) and V8's Math.log in the fallback, 1 ulp apart on a few % of draws.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CORRUPTIONS } from '../../src/corrupt/index.js';
import { corruptionAddon } from '../../src/corrupt/native.js';
import { kernelCases } from './kernels-cases.js';

describe('corruption addon kernels', () => {
  it('every corruption gives the same bytes and float results with and without the addon', () => {
    assert.ok(corruptionAddon(), 'the corruption addon is not built (npm run build:native)');
    const mine = kernelCases();
    const root = new URL('../../', import.meta.url).pathname;
    const code = `import { kernelCases } from './test/corrupt/kernels-cases.ts'; process.stdout.write(JSON.stringify(kernelCases()));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, ACTBENCH_CORRUPT_ADDON: `${root}build/Release/no-such-addon.node` },
    });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout) as Record<string, [string, string]>;
    assert.equal(Object.keys(mine).length, CORRUPTIONS.length * 5 * 4);
    assert.deepEqual(Object.keys(theirs), Object.keys(mine));
    assert.deepEqual(Object.keys(mine).filter((k) => mine[k][0] !== theirs[k][0]), [], 'uint8 results differ');
    const floats = (s: string) => {
      const [type, b64] = s.split(':');
      const b = Buffer.from(b64, 'base64');
      return type === 'Float32Array' ? new Float32Array(b.buffer, b.byteOffset, b.length / 4) : type === 'Float64Array' ? new Float64Array(b.buffer, b.byteOffset, b.length / 8) : new Uint8Array(b);
    };
    const gaussianDraws = new Set(['gaussian_noise', 'speckle_noise']);
    const far = Object.keys(mine).filter((k) => {
      if (mine[k][1] === theirs[k][1]) return false;
      if (!gaussianDraws.has(k.split(':')[0])) return true;
      const [a, b] = [floats(mine[k][1]), floats(theirs[k][1])];
      return a.length !== b.length || a.some((v, i) => Math.abs(v - b[i]) > 1e-9);
    });
    assert.deepEqual(far, [], 'float results differ');
  });
});
