/**
 * `actbench --version` answers without loading the heavy parts: no TF.js, onnxruntime, vega, sharp or
 * protobufjs (an ESM loader hook records every module the process resolves, from src via tsx and from the
 * built dist/ through bin/actbench.js), and it prints package.json's version. Timing is left to the report:
 * the module list is what keeps it fast and what can be asserted on a loaded machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';

const HEAVY = /@tensorflow|onnxruntime|\/vega|sharp|protobufjs|simple-statistics|jstat|cli-table3|pngjs|jpeg-js/;
const dir = mkdtempSync(join(tmpdir(), 'actbench-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = join(dir, 'resolved.txt');
// the hooks run on the loader thread: they append every resolved URL to the log
writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`);
writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});
`);
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

function loaded(args: string[]): { stdout: string; urls: string[]; code: number | null } {
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), ...args], { encoding: 'utf8' });
  return { stdout: r.stdout, code: r.status, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('actbench --version loads nothing heavy', () => {
  it('from src (tsx)', () => {
    const r = loaded(['--import', 'tsx', 'src/cli/bin.ts', '--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
    assert.ok(r.urls.some((u) => u.endsWith('/src/cli/main.ts')), 'the hook saw the CLI load');
    assert.deepEqual(r.urls.filter((u) => HEAVY.test(u)), []);
  });
  it('the hook does see the heavy modules when a verb runs', () => {
    const r = loaded(['--import', 'tsx', 'src/cli/bin.ts', '--help']);
    assert.equal(r.code, 0);
    assert.ok(r.urls.some((u) => u.includes('@tensorflow')), 'TF.js loads for a verb');
  });
  it('from the built package (bin/actbench.js)', () => {
    assert.ok(existsSync('dist/cli/bin.js'), 'dist/ is missing: npm run build (npm ci runs it through prepare)');
    const r = loaded(['bin/actbench.js', '--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
    assert.deepEqual(r.urls.filter((u) => HEAVY.test(u)), []);
  });
});
