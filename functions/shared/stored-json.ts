/**
 * Text that JavaScript holds but PostgreSQL refuses: NUL (`\u0000`) in `text` (22021) and `jsonb` (22P05),
 * and lone UTF-16 surrogates (`\udc00`) in `jsonb` (22P02). zod's `z.string()` accepts both, and tools
 * produce both from binary data, so they are dealt with at the two edges: input from clients is refused
 * naming the field (`unsafeStrings`), and JSON we store ourselves is made safe (`toStoredJson`).
 */

/** Why a string cannot be stored, or undefined when it can. */
export const unsafeReason = (value: string): string | undefined => {
  if (value.includes('\0')) return 'Must not contain NUL (U+0000) characters';
  if (!value.isWellFormed()) return 'Must be well-formed Unicode (no lone surrogates)';
  return undefined;
};

/**
 * Every string (object keys included) in a parsed JSON value that cannot be stored, with its path joined by
 * dots under `prefix` (`body.name`, `params.userId`, `data.items.0`).
 */
export const unsafeStrings = (value: unknown, prefix: string[] = []): Array<{ path: string; message: string }> => {
  const found: Array<{ path: string; message: string }> = [];
  const at = (path: string[]) => path.join('.') || '(root)';
  // An explicit stack, not recursion: the value's depth is the client's to choose. Items are pushed in
  // reverse, so findings come out in document order; a bad key is reported just before its value's findings.
  const pending: Array<{ v: unknown; path: string[]; badKey?: string }> = [{ v: value, path: prefix }];
  while (pending.length > 0) {
    const { v, path, badKey } = pending.pop()!;
    if (badKey) found.push({ path: at([...path.slice(0, -1), path.at(-1)!.replaceAll('\0', '\\u0000').toWellFormed()]), message: `Key: ${badKey}` });
    if (typeof v === 'string') {
      const reason = unsafeReason(v);
      if (reason) found.push({ path: at(path), message: reason });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) pending.push({ v: v[i], path: [...path, String(i)] });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i]!;
        const reason = unsafeReason(key);
        pending.push({ v: item, path: [...path, key], ...(reason ? { badKey: reason } : {}) });
      }
    }
  }
  return found;
};

/** The string as PostgreSQL accepts it: NUL becomes U+FFFD, lone surrogates too (`toWellFormed`). */
export const toStoredText = (value: string): string => value.replaceAll('\0', '\uFFFD').toWellFormed();

/**
 * `JSON.stringify` for values written to `jsonb`: every string and key made storable, so output of tools
 * that read binary data is kept (mangled where it had to be) instead of failing the write and the run.
 */
export function toStoredJson(value: unknown): string;
export function toStoredJson(value: unknown, options: { nullable: true }): string | null;
export function toStoredJson(value: unknown, options?: { nullable: true }): string | null {
  if (options?.nullable && (value === undefined || value === null)) return null;
  return JSON.stringify(value ?? null, (_key, v: unknown) => {
    if (typeof v === 'string') return toStoredText(v);
    // Keys can't be renamed by a replacer, so plain objects are copied with safe keys (their values then
    // pass through here too). toJSON has already run: Dates arrive as strings.
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v);
      if (entries.some(([k]) => unsafeReason(k))) return Object.fromEntries(entries.map(([k, item]) => [toStoredText(k), item]));
    }
    return v;
  });
}
