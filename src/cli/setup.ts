/** `actbench setup tensorflow [--gpu] [--wheel FILE]` and `actbench doctor`. */
import type { Command } from 'commander';
import { ActbenchError } from '../errors.js';
import { doctorReport } from '../setup/doctor.js';
import { setupTensorflow } from '../setup/install.js';

export interface SetupFlags {
  gpu?: boolean;
  wheel?: string;
  force?: boolean;
  /** install scripts: print one line and succeed when it cannot be done */
  ifPossible?: boolean;
}

export async function runSetup(f: SetupFlags): Promise<void> {
  if (f.ifPossible && process.env.ACTBENCH_SKIP_TENSORFLOW === '1') {
    console.error('actbench: ACTBENCH_SKIP_TENSORFLOW=1: not setting up the tensorflow backend (training will use wasm)');
    return;
  }
  const t0 = performance.now();
  try {
    const r = await setupTensorflow({ gpu: f.gpu, wheel: f.wheel, force: f.force, log: (l) => console.error(l) });
    const what = `${r.record.tfjsNode.package} ${r.record.tfjsNode.version} on TensorFlow ${r.record.check.tfVersion}`;
    console.log(r.status === 'already' ? `already done: ${what} in ${r.dir}` : `done in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${what} in ${r.dir}`);
  } catch (e) {
    if (f.ifPossible && e instanceof ActbenchError) {
      console.error(`actbench: the fast tensorflow backend is not set up [${e.code}]: ${e.message.split('\n')[0]} (training will use wasm; retry: npx actbench setup tensorflow)`);
      return;
    }
    throw e;
  }
}

export function registerSetup(program: Command): void {
  const setup = program.command('setup').description('install optional fast parts');
  setup
    .command('tensorflow')
    .description("the tfjs-node backend on libtensorflow from PyPI's TensorFlow wheel (via your pip), built into actbench's cache")
    .option('--gpu', "CUDA build: the 'tensorflow' wheel, NVIDIA's CUDA 12 / cuDNN wheels and @tensorflow/tfjs-node-gpu")
    .option('--wheel <file>', 'use this downloaded TensorFlow wheel instead of asking pip')
    .option('--force', 'rebuild even if a current install exists')
    .option('--if-possible', 'for install scripts: print one line and exit 0 when it cannot be done (ACTBENCH_SKIP_TENSORFLOW=1 skips it)')
    .action((f: SetupFlags) => runSetup(f));
  program
    .command('doctor')
    .description("each TF.js backend's status and the command that fixes what is missing")
    .action(() => {
      console.log(doctorReport());
    });
}
