/** `actbench corrupt` flags: domains (exit 2), lists with groups, stratified --limit, outputs never touch inputs. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { parseCorruptionList, parseSeverities } from '../../src/cli/corrupt.js';
import { readCorruptionManifest } from '../../src/corrupt/manifest.js';
import { encodeNpy, readNpy } from '../../src/data/npy.js';
import { runMain } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-corrupt-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => runMain('corrupt', ...args);
const hash = (files: string[]) => createHash('sha256').update(Buffer.concat(files.map((f) => readFileSync(f)))).digest('hex');

describe('actbench corrupt: flag domains', () => {
  const out = join(dir, 'never');
  for (const [args, msg] of [
    [['--split', 'tset'], /--split expects one of test, train, got 'tset'/],
    [['--seed', '2.5'], /--seed expects an integer/],
    [['--seed', 'abc'], /--seed expects an integer/],
    [['--seed', String(2 ** 32)], /--seed expects an integer ≥ 0 ≤ 4294967295/],
    [['--preset', 'cifar10'], /--preset expects one of cifar, tinyimagenet, imagenet/],
    [['--corruptions', 'gaussian_noise,,fog'], /--corruptions: item 2 is empty/],
    [['--corruptions', ''], /--corruptions: expects corruption or group names/],
    [['--corruptions', 'noise,fogg'], /unknown corruption 'fogg' \(did you mean 'fog'\?\)/],
    [['--corruptions', 'wether'], /did you mean 'weather'\?/],
    [['--severity', '1,1'], /severity 1 is listed twice/],
    [['--severity', '1,,3'], /--severity: item 2 is empty/],
    [['--severity', '0-3'], /--severity: expects 1–5/],
    [['--severity', '5-1'], /runs backwards/],
    [['--frost-dir', join(dir, 'nowhere')], /FROST_MISSING.*does not exist/],
  ] as const) {
    it(`${args.join(' ')} → refused before any work`, async () => {
      const r = await run('--data', 'mnist', ...args, '--out', out);
      assert.equal(r.code, /FROST/.test(String(msg)) ? 1 : 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.equal(existsSync(out), false);
    });
  }
  it('parsers: groups inside a comma list expand and repeats are made once, with a note; severities keep their order', () => {
    assert.deepEqual(parseCorruptionList('noise,blur').names, ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur']);
    const r = parseCorruptionList('fog,weather');
    assert.deepEqual(r.names, ['fog', 'snow', 'frost', 'brightness']);
    assert.match(r.notes.join(), /fog is listed more than once/);
    assert.deepEqual(parseCorruptionList('all').names.length, 19);
    assert.deepEqual(parseSeverities('5,1,3'), [5, 1, 3]);
    assert.deepEqual(parseSeverities('2-4'), [2, 3, 4]);
  });
});

describe('actbench corrupt: runs', () => {
  it('--corruptions noise,blur,gaussian_noise and a stratified --limit recorded in the manifest', async () => {
    const out = join(dir, 'mnist-c');
    const r = await run('--data', 'mnist', '--limit', '20', '--severity', '1', '--corruptions', 'noise,blur,gaussian_noise', '--out', out, '--workers', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: --corruptions: gaussian_noise is listed more than once/);
    assert.equal(readdirSync(out).filter((f) => f.endsWith('.npy') && f !== 'labels.npy').length, 7);
    const m = readCorruptionManifest(out);
    assert.equal(m?.subset.images, 20);
    assert.match(m?.subset.selection ?? '', /class-stratified 20 of \d+/);
    assert.deepEqual(m?.subset.perClass, Object.fromEntries(Array.from({ length: 10 }, (_, k) => [String(k), 2])));
    const labels = [...(readNpy(join(out, 'labels.npy')).data as Uint8Array)];
    for (let c = 0; c < 10; c++) assert.equal(labels.filter((l) => l === c).length, 2, `class ${c}`);
    assert.match(r.stdout, /images per class: 0:2 1:2/);
    const again = await run('--data', 'mnist', '--limit', '20', '--severity', '1', '--seed', '5', '--corruptions', 'noise,blur', '--out', out);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[RESUME_MISMATCH\].*seed: stored 0, requested 5/s);
  });
  it('folder:DIR --out DIR/c and npy: --out at or around the files are refused; the inputs stay byte-identical', async () => {
    const root = join(dir, 'imgs');
    const files: string[] = [];
    for (const [cls, v] of [['cat', 40], ['dog', 200]] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      const png = new PNG({ width: 32, height: 32 });
      for (let k = 0; k < png.data.length; k++) png.data[k] = k % 4 === 3 ? 255 : (v + k) % 256;
      writeFileSync(join(root, cls, 'a.png'), PNG.sync.write(png));
      files.push(join(root, cls, 'a.png'));
    }
    const images = join(dir, 'npy', 'images.npy');
    const labels = join(dir, 'npy', 'labels.npy');
    mkdirSync(join(dir, 'npy'));
    writeFileSync(images, encodeNpy(new Uint8Array(20 * 32 * 32 * 3).map((_, k) => k % 251), [20, 32, 32, 3], 'uint8'));
    writeFileSync(labels, encodeNpy(new Uint8Array(20).map((_, k) => k % 2), [20], 'uint8'));
    const before = hash([...files, images, labels]);
    for (const [data, out] of [
      [`folder:${root}`, join(root, 'c')], [`folder:${root}`, root], [`folder:${root}`, dir],
      [`npy:${images},${labels}`, images], [`npy:${images},${labels}`, join(dir, 'npy')], [`npy:${images},${labels}`, join(labels, 'c')],
    ]) {
      const r = await run('--data', data, '--corruptions', 'contrast', '--severity', '1', '--out', out);
      assert.equal(r.code, 1, `${data} → ${out}: ${r.stderr}`);
      assert.match(r.stderr, /\[OUTPUT_TOUCHES_INPUT\]/);
    }
    assert.equal(hash([...files, images, labels]), before);
    assert.equal(existsSync(join(root, 'c')), false);
    const ok = await run('--data', `npy:${images},${labels}`, '--corruptions', 'contrast', '--severity', '1', '--out', join(dir, 'npy-c'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(readCorruptionManifest(join(dir, 'npy-c'))?.source ?? '', new RegExp(`^npy:${images},${labels}$`));
  });
  it('--preview never replaces a file the user named without --force', async () => {
    const svg = join(dir, 'mine.svg');
    writeFileSync(svg, 'my drawing');
    const r = await run('--preview', '--data', 'mnist', '--corruptions', 'contrast', '--preview-images', '1', '--out', svg);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[OUTPUT_EXISTS\]/);
    assert.equal(readFileSync(svg, 'utf8'), 'my drawing');
    const f = await run('--preview', '--data', 'mnist', '--corruptions', 'contrast', '--preview-images', '1', '--out', svg, '--force');
    assert.equal(f.code, 0, f.stderr);
    assert.match(readFileSync(svg, 'utf8'), /<svg/);
  });
});
