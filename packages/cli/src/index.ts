export type { CliStreams, CommandResult, OutputValue } from './output';
export { createProgram, EXIT_BAD_ARGUMENTS, EXIT_FAILURE, run } from './program';
