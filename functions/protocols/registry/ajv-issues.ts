/**
 * ajv's errors as the registry's issues (JSON Pointer + message). A union (`anyOf`/`oneOf`) that fails makes
 * ajv report each branch's complaint and then the union's own "must match a schema in anyOf"; the latter
 * adds nothing and is dropped, and the branches' "must be <type>" at one place become one issue
 * ("must be object, string or array"), unless another branch got inside the value: then its errors are the
 * ones that matter.
 */
import type { ErrorObject } from 'ajv';
import type { ValidationIssue } from './protocol.ts';

const escapeToken = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

const list = (items: string[]): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`);

/** Whether some error lies strictly inside the value at `path`: then a branch took the value's type. */
const deeperThan = (errors: ErrorObject[], path: string): boolean =>
  errors.some(
    (e) =>
      e.keyword !== 'anyOf' &&
      e.keyword !== 'oneOf' &&
      (e.instancePath.startsWith(`${path}/`) || (e.keyword === 'required' && e.instancePath === path)),
  );

export const issuesOf = (errors: ErrorObject[] | null | undefined, prefix = ''): ValidationIssue[] => {
  const all = errors ?? [];
  const out: ValidationIssue[] = [];
  const types = new Map<string, { issue: ValidationIssue; names: string[] }>();
  const seen = new Set<string>();
  for (const e of all) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    // "must be null" beside "/0/range is required": the other branch (an array) is the one the sender meant.
    if (e.keyword === 'type' && deeperThan(all, e.instancePath)) continue;
    const path =
      `${prefix}${e.instancePath}` +
      (e.keyword === 'required' ? `/${escapeToken(String((e.params as { missingProperty: string }).missingProperty))}` : '');
    if (e.keyword === 'type') {
      const expected = String((e.params as { type: string | string[] }).type).split(',');
      const entry = types.get(path);
      if (entry) {
        entry.names.push(...expected.filter((t) => !entry.names.includes(t)));
        entry.issue.message = `must be ${list(entry.names)}`;
      } else {
        const issue = { path, message: `must be ${list(expected)}` };
        types.set(path, { issue, names: [...expected] });
        out.push(issue);
      }
      continue;
    }
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : '';
    const issue = { path, message: `${e.message ?? e.keyword}${extra}` };
    const key = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
};
