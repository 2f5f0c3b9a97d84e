/** What the commands print: aligned tables for people, the JSON exactly for scripts. */

type Cell = string | number | boolean | null | undefined | readonly string[];

export interface Output {
  readonly json: boolean;
  /** The answer as JSON (with `--json`), or the human form `human` prints. */
  result(value: unknown, human: () => void): void;
  /** A line on stdout. */
  line(text: string): void;
  /** A line on stderr: warnings and notes, never part of the result. */
  note(text: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else human();
    },
    line(text) {
      process.stdout.write(`${text}\n`);
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
  };
}

function show(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  if (Array.isArray(cell)) return cell.length > 0 ? cell.join(',') : '-';
  return String(cell);
}

/** Rows under a header, each column as wide as its widest cell. */
export function table(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [columns.map((column) => column.toUpperCase()), ...rows.map((row) => row.map(show))];
  const widths = columns.map((_, index) => Math.max(...cells.map((row) => (row[index] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One record, a field a line. */
export function record(fields: Readonly<Record<string, Cell>>): string {
  const width = Math.max(...Object.keys(fields).map((name) => name.length));
  return Object.entries(fields)
    .map(([name, value]) => `${name.padEnd(width)}  ${show(value)}`)
    .join('\n');
}

/** A secret, shown once: on stdout, with the warning on stderr. */
export function secret(output: Output, label: string, value: string): void {
  output.line(`${label}: ${value}`);
  output.note(`warning: the ${label} is shown only this once and cannot be retrieved later; store it now.`);
}
