/** Image sizes other than the presets' own: non-square ImageNet-size photographs, frost larger than its texture. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corrupt, CORRUPTIONS, NumpyRandomState, type Preset } from '../../src/corrupt/index.js';
import { rng } from '../helpers.js';

const FROST_DIR = new URL('../fixtures/frost', import.meta.url).pathname;
const image = (h: number, w: number, c = 3) => {
  const r = rng(h * 1000 + w);
  return { data: Uint8Array.from({ length: h * w * c }, () => Math.floor(r() * 256)), height: h, width: w, channels: c };
};
/** seeds whose first draw, randint(0, 5), picks frost texture 0, 1, 2, 3 and 4 */
const textureSeeds = (): number[] => {
  const seeds: number[] = [];
  for (let s = 0; seeds.length < 5; s++) if (new NumpyRandomState(s).randint(0, 5) === seeds.length) seeds.push(s);
  return seeds;
};

describe('non-square and large images', () => {
  for (const [h, w] of [[200, 300], [375, 500]] as const) {
    it(`all 19 corruptions at ${h}×${w}, severities 1 and 5, imagenet preset: same shape, uint8`, () => {
      const img = image(h, w);
      for (const name of CORRUPTIONS) {
        for (const severity of [1, 5]) {
          const out = corrupt(img, name, severity, { rng: new NumpyRandomState(severity), preset: 'imagenet' });
          assert.equal(out.height, h);
          assert.equal(out.width, w);
          assert.ok(out.data instanceof Uint8Array, `${name} ${severity}`);
          assert.equal(out.data.length, h * w * 3, `${name} ${severity}`);
        }
      }
    });
  }
  it('frost with each of the five textures, for images larger than the (resized) texture, any preset', () => {
    const cases: [number, number, Preset | undefined][] = [
      [200, 300, 'imagenet'], [375, 500, 'imagenet'], [500, 375, 'imagenet'], [200, 300, undefined], [300, 200, undefined],
      [64, 200, 'tinyimagenet'], [32, 190, 'cifar'], [700, 1000, 'imagenet'],
    ];
    for (const [h, w, preset] of cases) {
      const img = image(h, w, 1);
      for (const seed of textureSeeds()) {
        for (const frostDir of [undefined, FROST_DIR]) {
          const out = corrupt(img, 'frost', 5, { rng: new NumpyRandomState(seed), preset, frostDir });
          assert.equal(out.data.length, h * w, `${h}×${w} ${preset} seed ${seed}`);
          // frost brightens: severity 5 blends 0.6·image + 0.75·texture (imagenet), never darker on average
          assert.ok(out.data.reduce((a, v) => a + v, 0) > img.data.reduce((a, v) => a + v, 0) * 0.7);
        }
      }
    }
  });
  it('frost is deterministic for enlarged textures', () => {
    const img = image(375, 500);
    const a = corrupt(img, 'frost', 3, { rng: new NumpyRandomState(9), preset: 'imagenet' });
    const b = corrupt(img, 'frost', 3, { rng: new NumpyRandomState(9), preset: 'imagenet' });
    assert.deepEqual(Buffer.from(a.data), Buffer.from(b.data));
  });
});
