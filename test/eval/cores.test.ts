/**
 * The split of the cores for eval with on-the-fly corruption (eval/cores.ts): the policy's values, the
 * session threading an on-the-fly source asks for, and the same corrupted images whatever the split.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NumpyRandomState } from '../../src/corrupt/index.js';
import type { ImageSet } from '../../src/data/dataset.js';
import { onTheFlyCoreSplit } from '../../src/eval/cores.js';
import { onTheFlySource, type EvalSource } from '../../src/eval/evaluate.js';

async function cellBytes(src: EvalSource, k: number): Promise<number[]> {
  const out: number[] = [];
  for await (const b of src.cells[k].batches()) out.push(...b.images);
  return out;
}

describe('on-the-fly core split', () => {
  it('gives the session every core, spin-waiting, overlapped with one corruption worker per 4 cores (at least one)', () => {
    const want: [number, number][] = [[1, 1], [2, 1], [3, 1], [4, 1], [8, 2], [16, 4], [0, 1]];
    for (const [cores, workers] of want) assert.deepEqual(onTheFlyCoreSplit(cores), { workers, intraOpThreads: Math.max(1, cores), spinning: true, overlap: true }, `${cores} cores`);
  });
  it('an on-the-fly source asks for that threading, and any number of workers corrupts the same bytes', async () => {
    const r = new NumpyRandomState(3);
    const n = 20;
    const set: ImageSet = { name: 't', images: Uint8Array.from({ length: n * 3072 }, () => Math.floor(256 * r.random())), labels: new Int32Array(n), height: 32, width: 32, channels: 3, numClasses: 10 };
    const o = { name: 't', corruptions: ['gaussian_noise' as const, 'zoom_blur' as const], severities: [4], seed: 9, batch: 7, includeClean: false };
    const byDefault = onTheFlySource(set, o);
    const three = onTheFlySource(set, { ...o, workers: 3 });
    const waiting = onTheFlySource(set, { ...o, workers: 2, overlap: false });
    try {
      const split = onTheFlyCoreSplit();
      assert.deepEqual(byDefault.session, { intraOpThreads: split.intraOpThreads, spinning: split.spinning });
      for (const k of [0, 1]) {
        const [a, b, c] = [await cellBytes(byDefault, k), await cellBytes(three, k), await cellBytes(waiting, k)];
        assert.equal(a.length, n * 3072);
        assert.deepEqual(a, b);
        assert.deepEqual(a, c, 'corrupting while the session waits');
        assert.ok(a.some((v, i) => v !== set.images[i]), 'corrupted');
      }
    } finally {
      await byDefault.close();
      await three.close();
      await waiting.close();
    }
  });
});
