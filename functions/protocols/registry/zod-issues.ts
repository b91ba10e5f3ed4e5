/**
 * zod's issues as the registry's issues (JSON Pointer + message). A failed union reports each branch; only
 * the branch that got furthest into the value is kept, as for ajv (ajv-issues.ts).
 */
import type { z } from 'zod';
import { jsonPointer, type ValidationIssue } from './protocol.ts';

type Issue = z.core.$ZodIssue;

const deepest = (issues: readonly Issue[], base: readonly PropertyKey[]): number =>
  Math.max(0, ...issues.map((i) => base.length + i.path.length + (i.code === 'invalid_union' ? deepest(i.errors.flat(), []) : 0)));

const flatten = (issues: readonly Issue[], base: ReadonlyArray<PropertyKey>, out: ValidationIssue[]): void => {
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => deepest(b, path) - deepest(a, path) || a.length - b.length)[0]!;
      if (best.length > 0 && deepest(best, path) > path.length) {
        flatten(best, path, out);
        continue;
      }
    }
    out.push({ path: jsonPointer(path.map((p) => (typeof p === 'symbol' ? String(p.description) : p))), message: issue.message });
  }
};

export const zodIssuesOf = (error: z.ZodError, prefix: ReadonlyArray<string | number> = []): ValidationIssue[] => {
  const out: ValidationIssue[] = [];
  flatten(error.issues, prefix, out);
  const seen = new Set<string>();
  return out.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};
