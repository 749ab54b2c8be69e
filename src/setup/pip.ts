/**
 * Wheels come through the user's own pip, so their index configuration (mirrors, find-links, proxies)
 * applies. Only the shared libraries are used, so pip is asked for a binary of this machine's platform
 * (every manylinux tag its glibc supports) and a stated Python version, not the running interpreter's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError } from '../errors.js';

export interface Python {
  command: string;
  version: string;
  pip: string;
}

function probe(cmd: string, args: string[]): { ok: boolean; out: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || (r.error as NodeJS.ErrnoException | undefined)?.code === 'EACCES';
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), missing };
}

/** ACTBENCH_PYTHON if set (and only it), else python3, /usr/bin/python3, python: the first with pip. */
export function findPython(env: NodeJS.ProcessEnv = process.env): Python {
  const candidates = env.ACTBENCH_PYTHON ? [env.ACTBENCH_PYTHON] : ['python3', '/usr/bin/python3', 'python'];
  const noPip: string[] = [];
  for (const c of candidates) {
    const v = probe(c, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
    if (v.missing || !v.ok) continue;
    const pip = probe(c, ['-m', 'pip', '--version']);
    if (pip.ok) return { command: c, version: v.out.split('\n').pop() as string, pip: pip.out.split('\n').pop() as string };
    noPip.push(`${c} (${pip.out.split('\n').pop() || 'no pip'})`);
  }
  if (noPip.length) {
    throw new ActbenchError('TF_NO_PIP', `no pip: ${noPip.join('; ')}. Install pip (e.g. apt-get install python3-pip), or download the wheel elsewhere and pass --wheel FILE`, { field: 'python' });
  }
  throw new ActbenchError('TF_NO_PYTHON', `no Python found (tried ${candidates.join(', ')}${env.ACTBENCH_PYTHON ? ' from ACTBENCH_PYTHON' : ''}): install python3 with pip, set ACTBENCH_PYTHON, or pass --wheel FILE`, { field: 'python' });
}

/** manylinux tags this machine's glibc can run, newest first (pip does not widen manylinux_2_X itself). */
export function platformTags(glibc: string | undefined = glibcVersion(), arch = process.arch): string[] {
  const a = arch === 'x64' ? 'x86_64' : arch === 'arm64' ? 'aarch64' : arch;
  const minor = glibc ? Number(glibc.split('.')[1]) : 17;
  const tags: string[] = [];
  for (let m = Math.max(minor, 17); m >= 17; m--) tags.push(`manylinux_2_${m}_${a}`);
  tags.push(`manylinux2014_${a}`);
  return tags;
}

function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

/** Python versions to ask for: the interpreter's own first (most indexes carry it), then recent ones. */
export function pythonVersions(own: string): string[] {
  return [...new Set([own, '3.12', '3.11', '3.13', '3.10'])];
}

interface PipRun {
  code: number;
  output: string;
}

function runPip(py: Python, args: string[], onLine?: (s: string) => void): Promise<PipRun> {
  return new Promise((resolve) => {
    const child = spawn(py.command, ['-m', 'pip', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    let output = '';
    const take = (b: Buffer) => {
      const s = b.toString('utf8');
      output += s;
      for (const l of s.split('\n')) if (l.trim()) onLine?.(l.trim());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => resolve({ code: 127, output: output + e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const CONNECTION = /NewConnectionError|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|ConnectTimeoutError|ProxyError|SSLError/;

/** What went wrong, from pip's words: unreachable index vs. no such wheel vs. anything else. */
export function classifyPipFailure(requirement: string, output: string, tried: string): ActbenchError {
  const errors = output.split('\n').filter((l) => /^ERROR:/.test(l.trim())).map((l) => l.trim()).slice(-2).join(' ');
  const noMatch = /No matching distribution found|Could not find a version that satisfies/.test(output);
  const noVersions = /from versions: none/.test(output);
  if (noMatch && CONNECTION.test(output) && noVersions) {
    return new ActbenchError('TF_PIP_NO_INDEX', `pip could not reach a package index that has ${requirement} (${tried}): ${errors}. Configure pip's index (pip config list), or download the wheel elsewhere and pass --wheel FILE`, { field: 'pip' });
  }
  if (noMatch) {
    return new ActbenchError('TF_WHEEL_NOT_FOUND', `pip's index has no wheel ${requirement} for this platform (${tried}): ${errors}. Pass --wheel FILE with a Linux wheel of that release`, { field: 'pip' });
  }
  return new ActbenchError('TF_PIP_FAILED', `pip download ${requirement} failed (${tried}): ${errors || output.trim().split('\n').slice(-3).join(' ')}`, { field: 'pip' });
}

/** Download `requirement` (no dependencies) into `dir`; returns the wheel's path. */
export async function downloadWheel(py: Python, requirement: string, dir: string, onLine?: (s: string) => void): Promise<string> {
  const platforms = platformTags().flatMap((t) => ['--platform', t]);
  let last: PipRun = { code: 1, output: '' };
  const tried: string[] = [];
  for (const v of pythonVersions(py.version)) {
    tried.push(v);
    last = await runPip(py, ['download', requirement, '--no-deps', '--only-binary=:all:', ...platforms, '--python-version', v, '-d', dir], onLine);
    if (last.code === 0) {
      const wheels = readdirSync(dir).filter((f) => f.endsWith('.whl'));
      const name = requirement.split(/[=<>!~\[]/)[0].toLowerCase().replace(/[-.]/g, '_');
      const w = wheels.find((f) => f.toLowerCase().startsWith(name + '-')) ?? wheels[0];
      if (w) return join(dir, w);
    }
    if (!/No matching distribution found|Could not find a version/.test(last.output)) break; // not a tag problem: asking again will not help
  }
  throw classifyPipFailure(requirement, last.output, `${py.command} -m pip, Python ${tried.join('/')} wheels`);
}
