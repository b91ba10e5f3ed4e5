/**
 * The incident state machine of one alert rule and one subject (a workflow or an instance), pure:
 * - quiet and the condition holds: it fires (once);
 * - firing and the condition holds: nothing (no storm), and any clearing in progress is forgotten;
 * - firing and the condition is clear: it resolves (once) only when it has stayed clear for the cool-down,
 *   so a condition that flickers within the cool-down never resolves and fires again (no flapping);
 * - quiet and clear: nothing.
 */
export interface AlertState {
  firing: boolean;
  firedAt: Date | null;
  /** Firing, and clear since then. */
  clearSince: Date | null;
  resolvedAt: Date | null;
}

export const QUIET: AlertState = { firing: false, firedAt: null, clearSince: null, resolvedAt: null };

export const stepAlert = (
  state: AlertState | undefined,
  conditionHolds: boolean,
  now: Date,
  cooldownMs: number,
): { state: AlertState; transition?: 'fired' | 'resolved' } => {
  const current = state ?? QUIET;
  if (!current.firing) {
    if (!conditionHolds) return { state: current };
    return { state: { firing: true, firedAt: now, clearSince: null, resolvedAt: current.resolvedAt }, transition: 'fired' };
  }
  if (conditionHolds) return { state: { ...current, clearSince: null } };
  const clearSince = current.clearSince ?? now;
  if (now.getTime() - clearSince.getTime() >= cooldownMs) {
    return { state: { firing: false, firedAt: current.firedAt, clearSince: null, resolvedAt: now }, transition: 'resolved' };
  }
  return { state: { ...current, clearSince } };
};
