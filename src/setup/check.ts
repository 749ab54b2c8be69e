/** Check a build in a child process (a bad library must not take this process down): load, matMul, TF_Version. */
import { spawnSync } from 'node:child_process';
import { ActbenchError } from '../errors.js';
import { checkProgram } from './load.js';
import type { SetupRecord } from './record.js';

export function checkBinding(pkgDir: string, bindingPath: string, expectVersion: string): SetupRecord['check'] {
  const r = spawnSync(process.execPath, ['-e', checkProgram(pkgDir, bindingPath)], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('ACTBENCH_CHECK '));
  const fail = (why: string) =>
    new ActbenchError('TF_CHECK_FAILED', `the built binding ${bindingPath} does not work: ${why}`, { file: bindingPath });
  if (!line) {
    const err = (r.stderr ?? '').split('\n').filter((l) => /Error|error:|cannot open/.test(l)).slice(0, 3).join('\n');
    throw fail(err || r.error?.message || `exit ${r.status ?? r.signal}`);
  }
  const c = JSON.parse(line.slice('ACTBENCH_CHECK '.length)) as SetupRecord['check'];
  if (c.matMul.join(',') !== '19,22,43,50') throw fail(`matMul gave [${c.matMul.join(', ')}], expected [19, 22, 43, 50]`);
  if (c.backend !== 'tensorflow') throw fail(`the active backend is '${c.backend}', expected 'tensorflow'`);
  if (c.tfVersion !== expectVersion) throw fail(`TF_Version is ${c.tfVersion}, the wheel is ${expectVersion}`);
  return c;
}
