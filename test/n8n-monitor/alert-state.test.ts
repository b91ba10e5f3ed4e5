/** The alert incident state machine: fire once, resolve once, cool-down against flapping. */
import { describe, expect, it } from 'vitest';
import { stepAlert, type AlertState } from '#functions/n8n-monitor/alerts/alert-state.ts';

const t = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
const COOLDOWN = 10 * 60_000;

/** Runs a sequence of observations (minute, holds) and returns the transitions made. */
const run = (steps: Array<[number, boolean]>, cooldownMs = COOLDOWN): string[] => {
  let state: AlertState | undefined;
  const out: string[] = [];
  for (const [minute, holds] of steps) {
    const next = stepAlert(state, holds, t(minute), cooldownMs);
    state = next.state;
    if (next.transition) out.push(`${next.transition}@${minute}`);
  }
  return out;
};

describe('alert state machine', () => {
  it('fires once per incident however long the condition holds', () => {
    expect(
      run([
        [0, true],
        [5, true],
        [10, true],
        [60, true],
      ]),
    ).toEqual(['fired@0']);
  });

  it('never fires while the condition is clear', () => {
    expect(
      run([
        [0, false],
        [5, false],
      ]),
    ).toEqual([]);
  });

  it('resolves once, after the condition stayed clear for the cool-down', () => {
    expect(
      run([
        [0, true],
        [5, false],
        [10, false],
        [15, false],
        [20, false],
      ]),
    ).toEqual(['fired@0', 'resolved@15']);
  });

  it('does not flap: a condition flickering within the cool-down stays one incident', () => {
    expect(
      run([
        [0, true],
        [5, false],
        [8, true],
        [12, false],
        [14, true],
        [16, false],
        [25, false],
        [26, false],
      ]),
    ).toEqual(['fired@0', 'resolved@26']);
  });

  it('a new incident after resolving fires again', () => {
    expect(
      run([
        [0, true],
        [1, false],
        [11, false],
        [20, true],
      ]),
    ).toEqual(['fired@0', 'resolved@11', 'fired@20']);
  });

  it('with no cool-down it resolves at the first clear reading', () => {
    expect(
      run(
        [
          [0, true],
          [1, false],
          [2, true],
        ],
        0,
      ),
    ).toEqual(['fired@0', 'resolved@1', 'fired@2']);
  });
});
