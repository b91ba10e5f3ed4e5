/**
 * The figures `npm run bench` reports, in one shape for every benchmark: each bench calls `record()` per
 * figure, which prints the line and keeps the row in bench/results.json (untracked) for comparisons
 * between runs. A row replaces the previous row of the same figure, so `npm run bench -- gateway` updates
 * the gateway's figures and leaves the others' last values in place; `at` says when each was measured.
 *
 * `floor` is the baseline measured in the same run (a bare server, an empty process, a plain loop) and
 * `ratio` what the target is stated against; absolute values move with the machine's load.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ResultRow {
  figure: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run, in `unit`; null when the figure has none. */
  floor: number | null;
  /** How the target compares: usually value / floor (or floor / value for throughputs, as the figure says). */
  ratio: number | null;
  /** The issue's target, as text (`>= 0.5x`, `<= 3 s`). */
  target: string;
  met: boolean;
  /** ISO time of the measurement; set by record(). */
  at?: string;
}

export const RESULTS_FILE = path.join(import.meta.dirname, 'results.json');

const fmt = (n: number | null): string => (n === null ? '-' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Prints the figure with its floor, ratio and target, and writes it to bench/results.json. */
export function record(log: (line: string) => void, row: ResultRow): void {
  const full = { ...row, at: new Date().toISOString() };
  log(
    `  => ${row.figure}: ${fmt(row.value)} ${row.unit}   floor ${fmt(row.floor)}${row.floor === null ? '' : ` ${row.unit}`}   ratio ${row.ratio === null ? '-' : `${fmt(row.ratio)}x`}   target ${row.target}   ${row.met ? 'met' : 'NOT met'}`,
  );
  let rows: ResultRow[] = [];
  try {
    const parsed = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as unknown;
    if (Array.isArray(parsed)) rows = parsed as ResultRow[];
  } catch {
    // No file yet (or an unreadable one): start afresh.
  }
  rows = [...rows.filter((r) => r.figure !== row.figure), full];
  // Benches run one at a time (bench/run.ts), but write through a rename so a reader never sees half a file.
  const temp = `${RESULTS_FILE}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(rows, null, 2)}\n`);
  renameSync(temp, RESULTS_FILE);
}
