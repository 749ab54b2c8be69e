/**
 * The boundary probe: the cases of the trustworthy-numbers and validate-at-every-boundary issues, tried as a
 * new user would through the real CLI, each classified as good / poor (non-zero but no coded message naming
 * the file or field) / crash (stack trace, internal error, signal) / silent-wrong (a number or exit 0 where
 * it must refuse) / data-loss (an input or finished output changed). `npm run probe` → reports/probe.md.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Verdict = 'good' | 'poor' | 'crash' | 'silent-wrong' | 'data-loss';
interface Run { code: number; stdout: string; stderr: string }
interface Case {
  id: string;
  cls: string;
  args: string[];
  /** 'refuse': a coded error and a non-zero exit; 'succeed': exit 0; or a check of the outcome */
  expect: 'refuse' | 'succeed' | ((r: Run) => Verdict | string);
  /** paths that must be byte-identical afterwards */
  protect?: string[];
  setup?: () => void;
}

const W = mkdtempSync(join(tmpdir(), 'actbench-probe-'));
const root = new URL('..', import.meta.url).pathname;
const cli = (...args: string[]): Run => {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'src/cli/bin.ts'), ...args], { encoding: 'utf8', cwd: W, env: { ...process.env, NO_COLOR: '1' }, timeout: 600_000 });
  return { code: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
};
const hash = (p: string): string => {
  if (!existsSync(p)) return 'absent';
  if (statSync(p).isDirectory()) return readdirSync(p).sort().map((f) => `${f}:${hash(join(p, f))}`).join(',');
  return createHash('sha256').update(readFileSync(p)).digest('hex');
};
const p = (...s: string[]) => join(W, ...s);
const results = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>) : []);

function must(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`probe setup failed (${what}): ${r.stderr.slice(-2000)}`);
}

// ---- fixtures: a trained and exported model, a corrupted set, odd models and arrays
console.error(`probe workspace ${W}`);
const M = p('run');
must(cli('train', '--model', 'mlp', '--act', 'relu', '--data', 'mnist', '--epochs', '1', '--limit-train', '600', '--limit-test', '200', '--seed', '1', '--out', M), 'train');
must(cli('export', M, '--images', '64'), 'export');
const ONNX = join(M, 'model.onnx');
const odd = p('odd');
mkdirSync(odd);
const py = spawnSync('/usr/bin/python3', [join(root, 'scripts/probe_models.py'), odd], { encoding: 'utf8' });
if (py.status !== 0) throw new Error(py.stderr);
const D = p('c-sev5');
must(cli('corrupt', '--data', 'mnist', '--limit', '100', '--corruptions', 'contrast', '--severity', '5', '--out', D), 'corrupt');
const D15 = p('c-sev15');
must(cli('corrupt', '--data', 'mnist', '--limit', '100', '--corruptions', 'contrast', '--severity', '1,5', '--out', D15), 'corrupt 1,5');
const folder = p('folder');
for (const cls of ['a', 'b']) mkdirSync(join(folder, 'train', cls), { recursive: true });
for (const cls of ['a', 'c']) mkdirSync(join(folder, 'val', cls), { recursive: true });
const png = readFileSync(join(root, 'test/fixtures/probe-28x28.png'));
for (const d of ['train/a', 'train/b', 'val/a', 'val/c']) for (let k = 0; k < 3; k++) writeFileSync(join(folder, d, `${k}.png`), png);
const trunc = p('trunc');
for (const cls of ['a', 'b']) {
  mkdirSync(join(trunc, cls), { recursive: true });
  for (let k = 0; k < 3; k++) writeFileSync(join(trunc, cls, `${k}.png`), k === 1 && cls === 'b' ? png.subarray(0, 40) : png);
}
writeFileSync(p('some.json'), JSON.stringify({ user: 'data' }, null, 2));
writeFileSync(p('torn.jsonl'), '');


const cases: Case[] = [
  // trustworthy numbers (issue 9)
  { id: 'eval single-severity dir scores all 100 images', cls: 'silent-wrong', args: ['eval', ONNX, '--data', 'mnist', '--limit', '100', '--corrupted', D, '--corruptions', 'contrast', '--severity', '5', '--results', p('r1.jsonl')],
    expect: (r) => {
      if (r.code !== 0) return `exit ${r.code}: ${r.stderr.slice(-300)}`;
      const cells = results(p('r1.jsonl')).filter((x) => x.corruption === 'contrast');
      return cells.length === 1 && cells[0].n === 100 ? 'good' : `silent-wrong: ${JSON.stringify(cells.map((c) => c.n))}`;
    } },
  { id: 'eval --severity 5 of a 1,5 dir reads severity-5 rows (= on the fly)', cls: 'silent-wrong', args: ['eval', ONNX, '--data', 'mnist', '--limit', '100', '--corrupted', D15, '--corruptions', 'contrast', '--severity', '5', '--results', p('r2.jsonl')],
    expect: (r) => {
      if (r.code !== 0) return `exit ${r.code}: ${r.stderr.slice(-300)}`;
      const fly = cli('eval', ONNX, '--data', 'mnist', '--limit', '100', '--corruptions', 'contrast', '--severity', '5', '--results', p('r2f.jsonl'));
      if (fly.code !== 0) return `on-the-fly exit ${fly.code}`;
      const a = results(p('r2.jsonl')).find((x) => x.corruption === 'contrast');
      const b = results(p('r2f.jsonl')).find((x) => x.corruption === 'contrast');
      return a && b && a.top1 === b.top1 && a.n === b.n ? 'good' : `silent-wrong: dir ${a?.top1}/${a?.n} vs on-the-fly ${b?.top1}/${b?.n}`;
    } },
  { id: 'NaN logits score 0, non-finite counted', cls: 'silent-wrong', args: ['eval', join(odd, 'nan_logits.onnx'), '--data', 'mnist', '--limit', '100', '--corruptions', 'contrast', '--severity', '5', '--results', p('r3.jsonl')],
    expect: (r) => {
      const clean = results(p('r3.jsonl')).find((x) => x.corruption === null);
      if (r.code !== 0 && /non-finite|NaN/i.test(r.stderr) && /\[[A-Z_]+\]/.test(r.stderr)) return 'good';
      return clean && clean.top1 === 0 ? 'good' : `silent-wrong: clean top1 ${clean?.top1}`;
    } },
  { id: 'tied logits score 0', cls: 'silent-wrong', args: ['eval', join(odd, 'tied_logits.onnx'), '--data', 'mnist', '--limit', '100', '--corruptions', 'contrast', '--severity', '5', '--results', p('r4.jsonl')],
    expect: (r) => {
      const clean = results(p('r4.jsonl')).find((x) => x.corruption === null);
      return clean && clean.top1 === 0 ? 'good' : r.code !== 0 ? `exit ${r.code}` : `silent-wrong: clean top1 ${clean?.top1}`;
    } },
  { id: '--limit with --corrupted limits both cells alike', cls: 'silent-wrong', args: ['eval', ONNX, '--data', 'mnist', '--limit', '50', '--corrupted', D, '--corruptions', 'contrast', '--severity', '5', '--results', p('r5.jsonl')],
    expect: (r) => {
      const rs = results(p('r5.jsonl'));
      if (r.code !== 0) return /\[[A-Z_]+\]/.test(r.stderr) ? 'good' : `poor: ${r.stderr.slice(-200)}`;
      const ns = new Set(rs.map((x) => x.n));
      return ns.size === 1 && ns.has(50) ? 'good' : `silent-wrong: n ${[...ns].join(',')}`;
    } },
  { id: 'a rerun with another --limit never reuses cells', cls: 'silent-wrong', args: ['eval', ONNX, '--data', 'mnist', '--limit', '40', '--corruptions', 'contrast', '--severity', '5', '--results', p('r2f.jsonl')],
    expect: (r) => {
      if (r.code !== 0) return `exit ${r.code}`;
      return /\(stored\)/.test(r.stderr) ? 'silent-wrong: reused' : results(p('r2f.jsonl')).some((x) => x.n === 40) ? 'good' : 'silent-wrong: no n=40 cell';
    } },
  { id: 'train without --seed is reproducible', cls: 'silent-wrong', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', 'mnist', '--epochs', '1', '--limit-train', '200', '--limit-test', '100', '--out', p('s0a')],
    expect: (r) => {
      if (r.code !== 0) return `exit ${r.code}`;
      const r2 = cli('train', '--model', 'mlp', '--act', 'relu', '--data', 'mnist', '--epochs', '1', '--limit-train', '200', '--limit-test', '100', '--out', p('s0b'));
      if (r2.code !== 0) return `exit ${r2.code}`;
      return hash(p('s0a', 'weights.bin')) === hash(p('s0b', 'weights.bin')) ? 'good' : 'silent-wrong: weights differ';
    } },
  { id: 'corrupt rerun with another seed into the same --out is refused', cls: 'silent-wrong', args: ['corrupt', '--data', 'mnist', '--limit', '100', '--corruptions', 'contrast', '--severity', '5', '--seed', '7', '--out', D], expect: 'refuse', protect: [D] },
  { id: 'float labels refused', cls: 'silent-wrong', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', `npy:${join(odd, 'imgs.npy')},${join(odd, 'labels_float.npy')}`, '--epochs', '1', '--out', p('t-float')], expect: 'refuse' },
  { id: 'int64 labels ≥ 2³² refused', cls: 'silent-wrong', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', `npy:${join(odd, 'imgs.npy')},${join(odd, 'labels_big.npy')}`, '--epochs', '1', '--out', p('t-big')], expect: 'refuse' },
  { id: '--split val refused', cls: 'flag domain', args: ['corrupt', '--data', 'mnist', '--split', 'val', '--limit', '10', '--corruptions', 'contrast', '--severity', '1', '--out', p('c-split')], expect: 'refuse' },
  { id: 'la_silu:alpha=-1 refused', cls: 'numbers', args: ['acts', 'export', 'la_silu:alpha=-1', '--shape', '1,4,2,2', '--out', p('a1.onnx')], expect: 'refuse' },
  { id: '1e999*x refused', cls: 'numbers', args: ['acts', 'export', '1e999*x', '--shape', '1,4', '--out', p('a2.onnx')], expect: 'refuse' },
  { id: '1e39*x refused (float32 overflow)', cls: 'numbers', args: ['acts', 'export', '1e39*x', '--shape', '1,4', '--out', p('a3.onnx')], expect: 'refuse' },
  { id: 'NaN-everywhere activation refused', cls: 'numbers', args: ['acts', 'export', 'sqrt(-1-x*x)', '--shape', '1,4', '--out', p('a4.onnx')], expect: 'refuse' },
  { id: 'torn last line of a store does not eat the next record', cls: 'silent-wrong', setup: () => writeFileSync(p('torn.jsonl'), readFileSync(p('r1.jsonl'), 'utf8') + '{"kind":"eval","mod'),
    args: ['eval', ONNX, '--data', 'mnist', '--limit', '30', '--corruptions', 'contrast', '--severity', '2', '--results', p('torn.jsonl')],
    expect: (r) => {
      if (r.code !== 0) return /\[[A-Z_]+\]/.test(r.stderr) ? 'good' : `poor: ${r.stderr.slice(-200)}`;
      let n = 0;
      for (const l of readFileSync(p('torn.jsonl'), 'utf8').split('\n')) {
        try {
          if (JSON.parse(l).n === 30) n++;
        } catch {
          // torn
        }
      }
      return n === 2 ? 'good' : `silent-wrong: ${n} of 2 new records readable`;
    } },
  // data loss
  { id: 'eval --results some.json refused, file intact', cls: 'data loss', args: ['eval', ONNX, '--data', 'mnist', '--limit', '20', '--corruptions', 'contrast', '--severity', '1', '--results', p('some.json')], expect: 'refuse', protect: [p('some.json')] },
  { id: 'export --out RUN/weights.bin refused', cls: 'data loss', args: ['export', M, '--out', join(M, 'weights.bin')], expect: 'refuse', protect: [join(M, 'weights.bin')] },
  { id: 'train --out FINISHED_RUN refused', cls: 'data loss', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', 'mnist', '--epochs', '1', '--limit-train', '100', '--out', M], expect: 'refuse', protect: [join(M, 'weights.bin'), join(M, 'manifest.json')] },
  { id: 'corrupt --out inside the dataset folder refused', cls: 'outputs never touch inputs', args: ['corrupt', '--data', `folder:${trunc}`, '--corruptions', 'contrast', '--severity', '1', '--out', join(trunc, 'c')], expect: 'refuse', protect: [trunc] },
  { id: 'report --out equal to its results store refused', cls: 'outputs never touch inputs', args: ['report', '--results', p('r1.jsonl'), '--out', p('r1.jsonl')], expect: 'refuse', protect: [p('r1.jsonl')] },
  { id: 'eval --results equal to the model refused', cls: 'outputs never touch inputs', args: ['eval', ONNX, '--data', 'mnist', '--limit', '20', '--corruptions', 'contrast', '--severity', '1', '--results', ONNX], expect: 'refuse', protect: [ONNX] },
  // stack traces → coded errors
  { id: '--opt-level foo', cls: 'flag domain', args: ['eval', ONNX, '--opt-level', 'foo'], expect: 'refuse' },
  { id: '--schedule foo', cls: 'flag domain', args: ['train', '--model', 'mlp', '--act', 'relu', '--schedule', 'foo', '--epochs', '1', '--limit-train', '100', '--limit-test', '50', '--out', p('t-sched')], expect: 'refuse' },
  { id: '--seed abc', cls: 'flag domain', args: ['train', '--model', 'mlp', '--act', 'relu', '--seed', 'abc', '--epochs', '1', '--limit-train', '100', '--limit-test', '50', '--out', p('t-seed')], expect: 'refuse' },
  { id: '--seed 2.5', cls: 'flag domain', args: ['train', '--model', 'mlp', '--act', 'relu', '--seed', '2.5', '--epochs', '1', '--limit-train', '100', '--limit-test', '50', '--out', p('t-seed2')], expect: 'refuse' },
  { id: '--seed 2^32 (aliases 0)', cls: 'flag domain', args: ['corrupt', '--data', 'mnist', '--seed', String(2 ** 32), '--limit', '5', '--out', p('c-seed')], expect: 'refuse' },
  { id: '--dropout 1', cls: 'flag domain', args: ['train', '--model', 'wrn_10_1', '--act', 'relu', '--dropout', '1', '--epochs', '1', '--limit-train', '100', '--limit-test', '50', '--out', p('t-drop')], expect: 'refuse' },
  { id: '--width 0.0001', cls: 'flag domain', args: ['train', '--model', 'cnn_small', '--act', 'relu', '--width', '0.0001', '--epochs', '1', '--limit-train', '100', '--limit-test', '50', '--out', p('t-width')], expect: 'refuse' },
  { id: '--batches 8,,32', cls: 'flag domain', args: ['bench', ONNX, '--batches', '8,,32'], expect: 'refuse' },
  { id: '--seeds 1,1', cls: 'flag domain', args: ['study', '--seeds', '1,1', '--epochs', '1', '--limit-train', '200', '--test-images', '100', '--acts', 'relu', '--out', p('st-dup')], expect: 'refuse' },
  { id: '--corruptions noise,blur (README example)', cls: 'flag domain', args: ['corrupt', '--data', 'mnist', '--limit', '10', '--corruptions', 'noise,blur', '--severity', '1', '--out', p('c-nb')], expect: 'succeed' },
  { id: '--corruptions contrast,,fog', cls: 'flag domain', args: ['corrupt', '--data', 'mnist', '--limit', '10', '--corruptions', 'contrast,,fog', '--severity', '1', '--out', p('c-empty')], expect: 'refuse' },
  { id: 'truncated PNG in folder: dataset', cls: 'worker errors', args: ['corrupt', '--data', `folder:${trunc}`, '--corruptions', 'contrast', '--severity', '1', '--out', p('c-trunc')], expect: (r) => (r.code !== 0 && /\[[A-Z_]+\]/.test(r.stderr) && /1\.png/.test(r.stderr) ? 'good' : r.code === 0 ? 'silent-wrong' : `poor: ${r.stderr.slice(-300)}`) },
  { id: '2-channel .npy', cls: 'dataset structure', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', `npy:${join(odd, 'imgs2c.npy')},${join(odd, 'labels_ok.npy')}`, '--epochs', '1', '--limit-train', '100', '--limit-test', '50', '--out', p('t-2c')], expect: 'refuse' },
  { id: 'npy: a directory where a file is expected (EISDIR)', cls: 'fs errors', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', `npy:${odd},${join(odd, 'labels_ok.npy')}`, '--epochs', '1', '--limit-train', '100', '--limit-test', '50', '--out', p('t-dir')], expect: 'refuse' },
  { id: 'corrupted manifest.json of a run', cls: 'fs errors', setup: () => { cpSync(M, p('badrun'), { recursive: true }); writeFileSync(p('badrun', 'manifest.json'), '{"name": '); }, args: ['export', p('badrun'), '--out', p('badrun.onnx')], expect: 'refuse' },
  { id: 'export --opset 99', cls: 'flag domain', args: ['export', M, '--opset', '99', '--out', p('o99.onnx')], expect: 'refuse' },
  { id: 'clip(x, 1, 0)', cls: 'numbers', args: ['acts', 'show', 'clip(x, 1, 0)'], expect: 'refuse' },
  { id: '20 000-deep expression', cls: 'numbers', args: ['acts', 'show', 'relu('.repeat(20000) + 'x' + ')'.repeat(20000)], expect: 'refuse' },
  { id: 'study --acts relu,sillu refused before any work', cls: 'flag domain', args: ['study', '--acts', 'relu,sillu', '--out', p('st-bad')], expect: (r) => (r.code !== 0 && /sillu/.test(r.stderr) && !existsSync(p('st-bad', 'runs')) && !/epoch/.test(r.stderr) ? 'good' : r.code === 0 ? 'silent-wrong' : `poor: ${r.stderr.slice(-200)}`) },
  { id: 'frost on 200×300 images', cls: 'crash', setup: () => {
      const script = `import numpy as np; np.save('${p('big.npy')}', np.random.RandomState(0).randint(0,255,(2,200,300,3),dtype=np.uint8)); np.save('${p('big_l.npy')}', np.array([0,1],dtype=np.int64))`;
      spawnSync('/usr/bin/python3', ['-c', script]);
    }, args: ['corrupt', '--data', `npy:${p('big.npy')},${p('big_l.npy')}`, '--split', 'train', '--corruptions', 'frost', '--severity', '1,5', '--preset', 'imagenet', '--out', p('c-frost')], expect: 'succeed' },
  // model contract (issue 19)
  { id: 'model with 5 outputs for 10 classes', cls: 'model contract', args: ['eval', join(odd, 'five_classes.onnx'), '--data', 'mnist', '--limit', '20', '--corruptions', 'contrast', '--severity', '1', '--results', p('mc1.jsonl')], expect: 'refuse' },
  { id: 'rank-1 output', cls: 'model contract', args: ['eval', join(odd, 'rank1_output.onnx'), '--data', 'mnist', '--limit', '20', '--corruptions', 'contrast', '--severity', '1', '--results', p('mc2.jsonl')], expect: 'refuse' },
  { id: 'extra input', cls: 'model contract', args: ['eval', join(odd, 'extra_input.onnx'), '--data', 'mnist', '--limit', '20', '--corruptions', 'contrast', '--severity', '1', '--results', p('mc3.jsonl')], expect: 'refuse' },
  { id: 'integer input', cls: 'model contract', args: ['eval', join(odd, 'int_input.onnx'), '--data', 'mnist', '--limit', '20', '--corruptions', 'contrast', '--severity', '1', '--results', p('mc4.jsonl')], expect: 'refuse' },
  { id: 'two outputs', cls: 'model contract', args: ['eval', join(odd, 'two_outputs.onnx'), '--data', 'mnist', '--limit', '20', '--corruptions', 'contrast', '--severity', '1', '--results', p('mc5.jsonl')], expect: 'refuse' },
  { id: 'labels ≥ C (12-class labels, 10 logits)', cls: 'model contract', args: ['eval', ONNX, '--data', `npy:${join(odd, 'imgs.npy')},${join(odd, 'labels_12.npy')}`, '--corruptions', 'contrast', '--severity', '1', '--limit', '20', '--results', p('mc6.jsonl')], expect: 'refuse' },
  { id: 'bench of a dynamic-H/W model', cls: 'model contract', args: ['bench', join(odd, 'dynamic_hw.onnx'), '--batches', '1', '--reps', '2', '--warmup', '1', '--results', p('b1.jsonl')], expect: (r) => (r.code === 0 || /\[[A-Z_]+\]/.test(r.stderr) ? (/\n\s+at /.test(r.stderr) ? 'crash' : 'good') : `poor: ${r.stderr.slice(-200)}`) },
  // dataset structure
  { id: 'folder train/val class sets differ', cls: 'dataset structure', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', `folder:${folder}`, '--epochs', '1', '--out', p('t-fold')], expect: 'refuse' },
  { id: 'a dataset with one class', cls: 'dataset structure', args: ['train', '--model', 'mlp', '--act', 'relu', '--data', `npy:${join(odd, 'imgs.npy')},${join(odd, 'labels_one.npy')}`, '--epochs', '1', '--out', p('t-one')], expect: 'refuse' },
  // resume
  { id: 'train --resume with another --lr', cls: 'resume', setup: () => {
      cli('train', '--model', 'mlp', '--act', 'relu', '--data', 'mnist', '--epochs', '3', '--limit-train', '200', '--limit-test', '50', '--out', p('res'));
    }, args: ['train', '--model', 'mlp', '--act', 'relu', '--data', 'mnist', '--epochs', '3', '--limit-train', '200', '--limit-test', '50', '--lr', '0.01', '--resume', '--out', p('res')], expect: 'refuse', protect: [p('res')] },
  // report inputs
  { id: 'report of a non-store file', cls: 'report inputs', args: ['report', '--results', p('some.json'), '--out', p('rep.md')], expect: 'refuse', protect: [p('some.json')] },
  { id: 'report of a store with a malformed record', cls: 'report inputs', setup: () => writeFileSync(p('bad.jsonl'), readFileSync(p('r1.jsonl'), 'utf8') + '{"kind":"eval","top1":"high"}\n'), args: ['report', '--results', p('bad.jsonl'), '--out', p('rep2.md')], expect: (r) => (r.code !== 0 && /line \d+/.test(r.stderr) ? 'good' : r.code === 0 ? 'silent-wrong' : `poor: ${r.stderr.slice(-200)}`) },
];

const rows: { c: Case; verdict: Verdict; detail: string }[] = [];
for (const c of cases) {
  c.setup?.();
  const before = (c.protect ?? []).map(hash);
  const r = cli(...c.args);
  let verdict: Verdict;
  let detail = '';
  const stack = /\n\s+at .+:\d+:\d+\)?/.test(r.stderr) || /internal error/.test(r.stderr) || r.code === 70 || r.code < 0;
  const coded = /actbench: error \[[A-Z0-9_]+\]/.test(r.stderr);
  if (stack) verdict = 'crash';
  else if (c.expect === 'refuse') verdict = r.code === 0 ? 'silent-wrong' : coded ? 'good' : 'poor';
  else if (c.expect === 'succeed') verdict = r.code === 0 ? 'good' : coded ? 'poor' : 'crash';
  else {
    const v = c.expect(r);
    verdict = (['good', 'poor', 'crash', 'silent-wrong', 'data-loss'] as const).find((k) => v === k || v.startsWith(`${k}:`)) ?? 'poor';
    detail = v === verdict ? '' : v;
  }
  const after = (c.protect ?? []).map(hash);
  if (before.some((h, k) => h !== after[k])) verdict = 'data-loss';
  if (!detail) detail = (r.stderr.split('\n').find((l) => l.startsWith('actbench: error')) ?? `exit ${r.code}`).slice(0, 160);
  rows.push({ c, verdict, detail });
  console.error(`${verdict.padEnd(12)} ${c.id} — ${detail}`);
}
const count = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
const md = [
  '# Boundary probe',
  '',
  `${rows.length} cases through the real CLI (\`npm run probe\`), ${new Date().toISOString().slice(0, 10)}: ` +
    `good ${count('good')}, poor ${count('poor')}, crash ${count('crash')}, silent-wrong ${count('silent-wrong')}, data-loss ${count('data-loss')}.`,
  '',
  '| verdict | class | case | what it said |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.verdict} | ${r.c.cls} | ${r.c.id} | ${r.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`),
  '',
].join('\n');
mkdirSync(join(root, 'reports'), { recursive: true });
writeFileSync(join(root, 'reports/probe.md'), md);
console.log(md);
rmSync(W, { recursive: true, force: true });
