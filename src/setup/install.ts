/**
 * `actbench setup tensorflow`: wheel (pip or --wheel) → the C-API libraries and headers → the tfjs-node
 * binding built against them → checked → recorded. Idempotent (a current record answers "already done")
 * and atomic (see atomic-dir.ts).
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ActbenchError } from '../errors.js';
import { commit, lock, makeTemp, removeStale } from './atomic-dir.js';
import { bindingRelPath, buildBinding } from './build.js';
import { checkBinding } from './check.js';
import { findPackage } from './package.js';
import { installDir, tensorflowRoot, variantSpec, type Variant } from './paths.js';
import { downloadWheel, findPython } from './pip.js';
import { ensureDisk, findToolchain } from './preflight.js';
import { readRecord, staleReason, writeRecord, type SetupRecord } from './record.js';
import { extractHeaders, extraRequirements, metadataEntry, nvidiaLibraries, selectLibraries } from './wheel.js';
import { extractEntry, readEntry, readZipDirectory } from './zip.js';

export interface SetupOptions {
  gpu?: boolean;
  /** a downloaded TensorFlow wheel instead of asking pip */
  wheel?: string;
  /** rebuild even when the record is current */
  force?: boolean;
  version?: string;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface SetupResult {
  status: 'done' | 'already';
  dir: string;
  record: SetupRecord;
}

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

export async function setupTensorflow(o: SetupOptions = {}): Promise<SetupResult> {
  const env = o.env ?? process.env;
  const log = o.log ?? (() => {});
  const variant: Variant = o.gpu ? 'gpu' : 'cpu';
  const spec = variantSpec(variant, o.version);
  const pkg = findPackage(spec);
  const dir = installDir(variant, env);
  const want = { variant, version: spec.version, tfjsNodeVersion: pkg.version, napi: pkg.napi };
  const current = readRecord(dir);
  if (!o.force && current && staleReason(dir, current, want) === null) {
    return { status: 'already', dir, record: current };
  }
  const tools = findToolchain(env);
  const root = tensorflowRoot(env);
  mkdirSync(root, { recursive: true });
  const unlock = lock(dir);
  let tmp: string | null = null;
  const cleanup = () => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    unlock();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const s of removeStale(root)) log(`removed the leftover of an interrupted setup: ${s}`);
    tmp = makeTemp(dir);
    const t = { download: 0, unpack: 0, build: 0, check: 0 };
    let t0 = performance.now();

    // 1. the wheel
    let wheel = o.wheel;
    const cudaWheels: string[] = [];
    const downloads = join(tmp, 'download');
    if (!wheel) {
      ensureDisk(root, spec.diskEstimate, `setup (${spec.project} ${spec.version}: download, unpack, build)`);
      const py = findPython(env);
      mkdirSync(downloads);
      const req = `${spec.project}==${spec.version}`;
      log(`downloading ${req} with ${py.command} -m pip (${py.pip.split(' from ')[0]}) …`);
      wheel = await downloadWheel(py, req, downloads);
      log(`  ${wheel.split('/').pop()} (${MiB(statSync(wheel).size)}) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    } else {
      try {
        statSync(wheel);
      } catch {
        throw new ActbenchError('TF_WHEEL_MISSING', `--wheel ${wheel} does not exist`, { file: wheel });
      }
    }
    const entries = readZipDirectory(wheel);
    const { libraries } = selectLibraries(wheel, entries);
    if (spec.cudaExtra) {
      const meta = metadataEntry(entries);
      const reqs = meta ? extraRequirements((await readEntry(wheel, meta)).toString('utf8'), spec.cudaExtra) : [];
      if (!reqs.length) throw new ActbenchError('TF_WHEEL_INCOMPATIBLE', `${wheel} declares no '${spec.cudaExtra}' extra: --gpu needs the CUDA-enabled 'tensorflow' wheel, not tensorflow-cpu`, { file: wheel });
      const py = findPython(env);
      mkdirSync(downloads, { recursive: true });
      for (const r of reqs) {
        log(`downloading ${r} …`);
        cudaWheels.push(await downloadWheel(py, r, downloads));
      }
    }
    t.download = (performance.now() - t0) / 1000;

    // 2. unpack only what the binding needs
    t0 = performance.now();
    const libBytes = libraries.reduce((a, e) => a + e.size, 0);
    ensureDisk(root, libBytes + 100e6, `unpacking the TensorFlow libraries`);
    const libDir = join(tmp, 'deps', 'lib');
    mkdirSync(libDir, { recursive: true });
    for (const e of libraries) {
      log(`unpacking ${e.name} (${MiB(e.size)}) …`);
      await extractEntry(wheel, e, join(libDir, e.name.split('/').pop() as string));
    }
    const sources = readdirSync(join(pkg.dir, 'binding')).map((f) => readFileSync(join(pkg.dir, 'binding', f), 'utf8'));
    const headers = await extractHeaders(wheel, entries, sources, join(tmp, 'deps', 'include'));
    let bytes = libBytes + headers.bytes;
    for (const cw of cudaWheels) {
      const ce = readZipDirectory(cw);
      for (const e of nvidiaLibraries(ce)) {
        const dest = join(tmp, 'deps', e.name);
        mkdirSync(join(dest, '..'), { recursive: true });
        await extractEntry(cw, e, dest);
        bytes += e.size;
      }
    }
    rmSync(downloads, { recursive: true, force: true });
    t.unpack = (performance.now() - t0) / 1000;
    log(`  ${libraries.length} libraries, ${headers.count} headers in ${t.unpack.toFixed(0)} s`);

    // 3. build the binding from the package's sources
    t0 = performance.now();
    log(`building ${pkg.name} ${pkg.version} binding (N-API ${pkg.napi}) with node-gyp …`);
    const binding = await buildBinding({ pkgDir: pkg.dir, root: tmp, napi: pkg.napi, tools });
    t.build = (performance.now() - t0) / 1000;
    log(`  built in ${t.build.toFixed(0)} s`);

    // 4. check it, record it, move it into place
    t0 = performance.now();
    const check = checkBinding(pkg.dir, binding, spec.version);
    t.check = (performance.now() - t0) / 1000;
    log(`  checked: TF_Version ${check.tfVersion}, matMul ok${check.gpu ? ', GPU in use' : ''}`);
    const record: SetupRecord = {
      schema: 1,
      variant,
      tensorflow: { project: spec.project, version: spec.version, wheel: wheel.split('/').pop() as string, wheelBytes: statSync(wheel, { throwIfNoEntry: false })?.size ?? 0, cudaWheels: cudaWheels.map((w) => w.split('/').pop() as string) },
      tfjsNode: { package: pkg.name, version: pkg.version, napi: pkg.napi },
      node: { version: process.version, napi: process.versions.napi ?? '' },
      files: { binding: bindingRelPath(pkg.napi), libraries: libraries.map((e) => join('deps', 'lib', e.name.split('/').pop() as string)), headers: headers.count, bytes },
      check,
      seconds: t,
      created: new Date().toISOString(),
    };
    writeRecord(tmp, record);
    chmodSync(tmp, 0o755); // mkdtemp made it private
    commit(tmp, dir);
    tmp = null;
    return { status: 'done', dir, record };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}
