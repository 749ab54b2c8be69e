/**
 * The actbench command line: one file per verb under src/cli/; this file wires them and formats errors.
 * Nothing heavy is imported statically: the verbs (and with them TF.js, onnxruntime, vega, sharp) load when
 * the program is built, and `actbench --version` answers before that (test/cli/startup.test.ts checks the
 * modules it loads).
 */
import { Command, CommanderError } from 'commander';
import { ActbenchError } from '../errors.js';
import { packageVersion } from '../util/version.js';

export async function buildProgram(): Promise<Command> {
  const [{ registerActs }, { registerTrain }, { registerReport }, { registerCorrupt }, { registerEval }, { registerBench }, { registerStudy }, { registerSearch }, { registerSetup }, { registerAnalyze }, { registerWorker }] = await Promise.all([
    import('./acts.js'), import('./train.js'), import('./report.js'), import('./corrupt.js'), import('./eval.js'), import('./bench.js'), import('./study.js'), import('./search.js'), import('./setup.js'), import('./analyze.js'), import('./worker.js'),
  ]);
  const program = new Command('actbench')
    .description('Which activation function makes this network accurate, robust to corrupted inputs, and fast once deployed?')
    .version(packageVersion())
    .enablePositionalOptions()
    .exitOverride()
    // commander's own error lines are replaced by actbench's coded format (main below); help still prints
    .configureOutput({ outputError: () => {} });
  registerActs(program);
  registerTrain(program);
  registerCorrupt(program);
  registerEval(program);
  registerBench(program);
  registerStudy(program);
  registerSearch(program);
  registerAnalyze(program);
  registerReport(program);
  registerSetup(program);
  registerWorker(program);
  return program;
}

/** commander's error codes → actbench's */
const COMMANDER_CODES: Record<string, string> = {
  'commander.invalidArgument': 'CLI_BAD_FLAG',
  'commander.optionMissingArgument': 'CLI_MISSING_VALUE',
  'commander.missingMandatoryOptionValue': 'CLI_MISSING_FLAG',
  'commander.missingArgument': 'CLI_MISSING_ARGUMENT',
  'commander.unknownOption': 'CLI_UNKNOWN_FLAG',
  'commander.unknownCommand': 'CLI_UNKNOWN_COMMAND',
  'commander.excessArguments': 'CLI_EXTRA_ARGUMENTS',
  'commander.conflictingOption': 'CLI_CONFLICTING_FLAGS',
};

export function formatError(e: ActbenchError): string {
  const where = [e.file && `file ${e.file}`, e.field && `field ${e.field}`].filter(Boolean).join(', ');
  return `actbench: error [${e.code}]${where ? ` (${where})` : ''}: ${e.message}`;
}

/** Runs the CLI and returns its exit status; the status of the verb's outcome is never overridden. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    console.log(packageVersion());
    return 0;
  }
  try {
    await (await buildProgram()).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      const code = COMMANDER_CODES[e.code] ?? 'CLI_USAGE';
      const message = e.message.replace(/^error: /, '');
      console.error(`actbench: error [${code}]: ${message}\n(see actbench --help, or actbench <verb> --help)`);
      return 2;
    }
    if (e instanceof ActbenchError) {
      console.error(formatError(e));
      return e.exit;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      // a filesystem error that escaped a verb: still say which path, without a stack trace
      console.error(`actbench: error [FS_${err.code}] (file ${err.path}): ${err.message}`);
      return 1;
    }
    console.error(`actbench: internal error (please report): ${err?.stack ?? String(e)}`);
    return 70;
  }
}
