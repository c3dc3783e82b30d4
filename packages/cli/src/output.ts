/**
 * Printing a command's result: one JSON object with `--json`, otherwise a two-column table.
 */

/** A value in a command's result. */
export type OutputValue = number | string | boolean | readonly number[];

/** What a command prints: named values in a fixed order. */
export type CommandResult = Readonly<Record<string, OutputValue>>;

/** Where the program writes; `process.stdout` and `process.stderr` by default. */
export interface CliStreams {
  /** Results (the table or the JSON object). */
  readonly stdout: NodeJS.WritableStream;
  /** Errors, usage and the progress bar. */
  readonly stderr: NodeJS.WritableStream;
}

// JSON has no Infinity or NaN: keep them visible as strings rather than turning them into null.
function jsonValue(value: OutputValue): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'object') return Array.from(value, (entry) => jsonValue(entry));
  return value;
}

/** The result as one line of JSON. */
export function formatJson(result: CommandResult): string {
  const entries = Object.entries(result).map(([key, value]) => [key, jsonValue(value)]);
  return JSON.stringify(Object.fromEntries(entries));
}

/** The result as an aligned two-column table (arrays comma-separated). */
export function formatTable(result: CommandResult): string {
  const rows = Object.entries(result).map(([key, value]) => [
    key,
    typeof value === 'object' ? Array.from(value, String).join(', ') : String(value),
  ]);
  const width = Math.max(...rows.map(([key]) => (key as string).length));
  return rows.map(([key, value]) => `${(key as string).padEnd(width)}  ${value}`).join('\n');
}

/** Writes the result to `stream`, as JSON when `json` is set. */
export function printResult(result: CommandResult, json: boolean, stream: NodeJS.WritableStream): void {
  stream.write(`${json ? formatJson(result) : formatTable(result)}\n`);
}
