/** The actbench command line: one file per verb under src/cli/; this file wires them and formats errors. */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../onnx/writer.js';
import { ActbenchError } from '../errors.js';
import { registerActs } from './acts.js';
import { registerTrain } from './train.js';
import { registerReport } from './report.js';
import { registerCorrupt } from './corrupt.js';
import { registerEval } from './evaluate.js';
import { registerSearch } from './search.js';
import { registerSetup } from './setup.js';

export function buildProgram(): Command {
  const program = new Command('actbench')
    .description('Which activation function makes this network accurate, robust to corrupted inputs, and fast once deployed?')
    .version(packageVersion())
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  registerActs(program);
  registerTrain(program);
  registerCorrupt(program);
  registerEval(program);
  registerSearch(program);
  registerReport(program);
  registerSetup(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed the message
    if (e instanceof ActbenchError) {
      const where = [e.file && `file ${e.file}`, e.field && `field ${e.field}`].filter(Boolean).join(', ');
      console.error(`actbench: error [${e.code}]${where ? ` (${where})` : ''}: ${e.message}`);
      return 1;
    }
    console.error(`actbench: internal error: ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
}

