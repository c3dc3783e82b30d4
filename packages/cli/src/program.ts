/**
 * The `cnm` program: commander wiring, and the exit codes (0 success, 2 bad arguments, 1 anything else).
 */
import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { registerAuditBound } from './commands/audit-bound';
import { registerCalibrate } from './commands/calibrate';
import { registerEpsilon } from './commands/epsilon';
import { registerFitBandMf } from './commands/fit-bandmf';
import { registerFitBlt } from './commands/fit-blt';
import { registerGaussian } from './commands/gaussian';
import { registerSensitivity } from './commands/sensitivity';
import type { CliStreams } from './output';

/** Exit code of a usage error or of arguments the library rejects. */
export const EXIT_BAD_ARGUMENTS = 2;
/** Exit code of an unexpected failure. */
export const EXIT_FAILURE = 1;

const defaultStreams: CliStreams = { stdout: process.stdout, stderr: process.stderr };

/**
 * The `cnm` commander program, writing to `streams`. Commander's own errors are thrown as
 * `CommanderError` (exitOverride) instead of exiting the process; {@link run} maps them to exit codes.
 */
export function createProgram(streams: CliStreams = defaultStreams): Command {
  const program = new Command('cnm')
    .description('Differential privacy accounting, calibration, strategy fitting and audit bounds')
    .version(packageJson.version)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    });
  registerEpsilon(program, streams);
  registerCalibrate(program, streams);
  registerGaussian(program, streams);
  registerFitBlt(program, streams);
  registerFitBandMf(program, streams);
  registerSensitivity(program, streams);
  registerAuditBound(program, streams);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs `cnm` with the given arguments (without the node and script paths) and returns the exit code:
 * 0 on success (and for `--help`, `--version`), 2 for bad arguments (commander's usage errors and the
 * library's `RangeError`/`TypeError` messages), 1 for anything else.
 */
export function run(args: readonly string[], streams: CliStreams = defaultStreams): number {
  const program = createProgram(streams);
  try {
    program.parse([...args], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message already; help and version exit with 0.
      return error.exitCode === 0 ? 0 : EXIT_BAD_ARGUMENTS;
    }
    if (error instanceof RangeError || error instanceof TypeError) {
      streams.stderr.write(`cnm: error: ${error.message}\n`);
      return EXIT_BAD_ARGUMENTS;
    }
    streams.stderr.write(`cnm: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
