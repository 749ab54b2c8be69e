/**
 * Without the addon (build failed or skipped), 'auto' skips the native backend with its reason and moves
 * on (to wasm here: tfjs-node is an optional dependency), and `--backend native` fails with that reason.
 * Runs in a child process whose addon path points nowhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const script = `
import { selectBackend, describeBackend } from './src/train/backend.js';
const c = await selectBackend('auto', 'train');
console.log(JSON.stringify({ name: c.name, skipped: c.skipped, line: describeBackend(c) }));
try { await selectBackend('native', 'train'); console.log('NATIVE-OK'); } catch (e) { console.log('NATIVE-ERR ' + e.code + ' ' + e.message); }
`;

describe('native backend unavailable', () => {
  it('auto falls back past it with the reason; --backend native fails with it', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8', env: { ...process.env, ACTBENCH_NATIVE_ADDON: '/nonexistent/actbench_native.node' },
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const choice = JSON.parse(lines.find((l) => l.startsWith('{')) ?? '{}') as { name: string; skipped: { name: string; reason: string }[]; line: string };
    assert.notEqual(choice.name, 'native');
    // a working tfjs-node (optional dependency) comes before native in the order: then native is never tried
    const reached = !choice.name.startsWith('tensorflow');
    const skip = choice.skipped.find((s) => s.name === 'native');
    if (reached) {
      assert.ok(skip, `native not among the skipped: ${choice.line}`);
      assert.match(skip.reason, /native addon was not built.*npm run build:native/);
      assert.match(choice.line, /skipped .*native: the native addon was not built/);
    }
    assert.match(lines.find((l) => l.startsWith('NATIVE-')) ?? '', /^NATIVE-ERR TFJS_BACKEND_UNAVAILABLE .*not built/);
  });
});
