/** `actbench doctor`: one line per backend (ready, or what is missing and the fix), plus pip. */
import { nativeAddon, nativeThreads, nativeUnavailableReason } from '../train/native/addon.js';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { findPython } from './pip.js';
import { nvidiaDriverPresent, tensorflowStatus } from './status.js';

export interface DoctorLine {
  backend: string;
  ready: boolean;
  detail: string;
  fix?: string;
}

export function doctorLines(env: NodeJS.ProcessEnv = process.env): DoctorLine[] {
  const lines: DoctorLine[] = [];
  for (const variant of ['gpu', 'cpu'] as const) {
    const s = tensorflowStatus(variant, env);
    const backend = variant === 'gpu' ? 'tensorflow-gpu' : 'tensorflow';
    if (s.ready) lines.push({ backend, ready: true, detail: `TensorFlow ${s.record.check.tfVersion} via ${s.pkg.name} ${s.pkg.version}, ${s.dir}` });
    else if (variant === 'gpu' && !nvidiaDriverPresent()) lines.push({ backend, ready: false, detail: `no NVIDIA driver on this machine; ${s.reason}`, fix: s.fix });
    else lines.push({ backend, ready: false, detail: s.reason, fix: s.fix });
  }
  // actbench's own C++ backend, built by the package's install script
  lines.push(
    nativeAddon()
      ? { backend: 'native', ready: true, detail: `actbench's C++ kernels (build/Release/actbench_native.node), ${nativeThreads()} threads (ACTBENCH_THREADS)` }
      : { backend: 'native', ready: false, detail: nativeUnavailableReason(), fix: 'npm run build:native' },
  );
  let wasm = false;
  try {
    wasm = existsSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  } catch {
    wasm = false;
  }
  lines.push(wasm ? { backend: 'wasm', ready: true, detail: 'one thread, training kernels registered by actbench' } : { backend: 'wasm', ready: false, detail: '@tensorflow/tfjs-backend-wasm is not installed', fix: 'npm install' });
  lines.push({ backend: 'cpu', ready: true, detail: 'pure JavaScript, slowest' });
  try {
    const py = findPython(env);
    lines.push({ backend: 'pip', ready: true, detail: `${py.command} -m pip (${py.pip.split(' from ')[0]}, Python ${py.version}) fetches the TensorFlow wheel` });
  } catch (e) {
    lines.push({ backend: 'pip', ready: false, detail: (e as Error).message, fix: 'actbench setup tensorflow --wheel FILE' });
  }
  return lines;
}

export function doctorReport(env: NodeJS.ProcessEnv = process.env): string {
  return doctorLines(env)
    .map((l) => `${l.ready ? 'ok     ' : 'missing'} ${l.backend.padEnd(15)} ${l.detail}${l.fix ? `\n        ${''.padEnd(15)} fix: ${l.fix}` : ''}`)
    .join('\n');
}
