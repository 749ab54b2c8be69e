/** The bounded memo the corruption kernels share (src/util/memo.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedMemo } from '../../src/util/memo.js';

describe('BoundedMemo', () => {
  it('makes each value once while it is stored, and empties the store at its limit', () => {
    const made: string[] = [];
    const m = new BoundedMemo<string, number>(2);
    const get = (k: string) => m.get(k, () => (made.push(k), k.length));
    assert.equal(get('a'), 1);
    assert.equal(get('bb'), 2);
    assert.equal(get('a'), 1);
    assert.deepEqual(made, ['a', 'bb'], 'hits are not made again');
    assert.equal(get('ccc'), 3); // the store was full: emptied, then 'ccc' stored
    assert.equal(get('a'), 1);
    assert.deepEqual(made, ['a', 'bb', 'ccc', 'a']);
  });
});
