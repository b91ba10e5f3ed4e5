/**
 * What the IDE routes say to a model and how they read its answers. Edits are asked for as find/replace
 * pairs (the form models reproduce most reliably: an exact snippet of the file and its replacement), never
 * as line/column ranges, and turned into LSP TextEdits here; an answer that does not parse, or whose `find`
 * is not in the file exactly once, is refused with a reason and nothing of it is applied.
 */
import * as z from 'zod';
import { rangeOf } from './documents.ts';
import type { Diagnostic, SourceFile, WorkspaceEdit } from './ide-bridge.contracts.ts';

/** How much of the project goes into a prompt, in characters (the target first, whole). */
const CONTEXT_CHARS = 60_000;

const fence = (file: SourceFile): string => `--- ${file.path}\n${file.content}\n--- end of ${file.path}`;

/** The target in full, then the other files while they fit. */
export const projectContext = (files: readonly SourceFile[], target: string): string => {
  const first = files.find((f) => f.path === target);
  const parts: string[] = first ? [fence(first)] : [];
  let budget = CONTEXT_CHARS - (parts[0]?.length ?? 0);
  for (const file of files) {
    if (file.path === target) continue;
    const text = fence(file);
    if (text.length > budget) {
      parts.push(`--- ${file.path} (left out: too long for the context)`);
      continue;
    }
    parts.push(text);
    budget -= text.length;
  }
  return parts.join('\n\n');
};

export const EDIT_FORMAT = [
  'Answer with one JSON object and nothing else:',
  '{"edits": [{"path": "<file path>", "find": "<exact text copied from that file>", "replace": "<new text>"}], "explanation": "<one sentence>"}',
  'Each `find` must occur exactly once in its file (include enough surrounding text); keep edits small. To create a file, give its',
  'path with "find": "" and the whole content as "replace". Keep the file\'s style and indentation.',
].join('\n');

export const describeDiagnostics = (diagnostics: readonly Diagnostic[]): string =>
  diagnostics
    .map(
      (d) =>
        `${d.path}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.severity}${d.code !== undefined ? ` ${d.code}` : ''}: ${d.message}`,
    )
    .join('\n');

const editAnswer = z.object({
  edits: z
    .array(z.object({ path: z.string().min(1), find: z.string(), replace: z.string() }))
    .min(1)
    .max(50),
  explanation: z.string().optional(),
});

export type FindReplace = z.output<typeof editAnswer>['edits'][number];

/** The JSON object in a model's answer (bare, or in a ```json fence), or undefined. */
export const jsonIn = (text: string): unknown => {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(text)?.[1];
  const candidates = [fenced, text, text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)].filter((c): c is string => !!c && c.trim() !== '');
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate);
    } catch {
      // try the next reading
    }
  }
  return undefined;
};

/** The first fenced code block of an answer, else the answer itself (trimmed of blank lines at the ends). */
export const codeIn = (text: string): string => {
  const fenced = /```[\w+#.-]*[^\S\n]*\n([\s\S]*?)\n?```/.exec(text)?.[1];
  return (fenced ?? text).replace(/^\s*\n/, '').replace(/\n\s*$/, '');
};

export type ParsedEdits = { ok: true; edits: FindReplace[]; explanation: string } | { ok: false; reason: string };

export const parseEditAnswer = (text: string): ParsedEdits => {
  const json = jsonIn(text);
  if (json === undefined) return { ok: false, reason: 'The model did not answer with a JSON object of edits' };
  const parsed = editAnswer.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: `The model's edits do not have the asked-for shape: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, edits: parsed.data.edits, explanation: parsed.data.explanation ?? '' };
};

export type ResolvedEdit = { ok: true; edit: WorkspaceEdit } | { ok: false; reason: string };

/**
 * Find/replace pairs as a WorkspaceEdit against the request's files: each `find` located exactly once
 * (or empty, for a file the request does not have, which is then created), no two edits overlapping.
 */
export const resolveEdits = (files: readonly SourceFile[], edits: readonly FindReplace[], maxPathLength: number): ResolvedEdit => {
  const out: WorkspaceEdit = { changes: {} };
  const spans = new Map<string, Array<[number, number]>>();
  for (const edit of edits) {
    if (edit.path.length > maxPathLength || edit.path.startsWith('/') || edit.path.split('/').includes('..')) {
      return { ok: false, reason: `The model named an unusable path ${JSON.stringify(edit.path.slice(0, 80))}` };
    }
    const file = files.find((f) => f.path === edit.path);
    if (!file) {
      if (edit.find !== '') return { ok: false, reason: `The model edited ${edit.path}, which is not among the request's files` };
      if (out.changes[edit.path]) return { ok: false, reason: `The model created ${edit.path} twice` };
      out.changes[edit.path] = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: edit.replace }];
      continue;
    }
    if (edit.find === '') return { ok: false, reason: `The model gave an empty "find" for ${edit.path}, which exists` };
    const at = file.content.indexOf(edit.find);
    if (at < 0) return { ok: false, reason: `The model's "find" text is not in ${edit.path}` };
    if (file.content.indexOf(edit.find, at + 1) >= 0) return { ok: false, reason: `The model's "find" text occurs more than once in ${edit.path}` };
    const span: [number, number] = [at, at + edit.find.length];
    const taken = spans.get(edit.path) ?? [];
    if (taken.some(([s, e]) => span[0] < e && s < span[1])) return { ok: false, reason: `The model's edits of ${edit.path} overlap` };
    taken.push(span);
    spans.set(edit.path, taken);
    out.changes[edit.path] = [...(out.changes[edit.path] ?? []), { range: rangeOf(file.content, span[0], span[1]), newText: edit.replace }];
  }
  return { ok: true, edit: out };
};

const completionsAnswer = z
  .array(z.union([z.string().min(1).max(2000), z.object({ label: z.string().min(1).max(200), insertText: z.string().max(2000).optional() })]))
  .max(20);

/** The model's completion candidates (a JSON array of strings or {label, insertText}), or undefined. */
export const parseCompletions = (text: string): Array<{ label: string; insertText: string }> | undefined => {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(text)?.[1];
  for (const candidate of [fenced, text, text.slice(text.indexOf('['), text.lastIndexOf(']') + 1)]) {
    if (!candidate?.trim()) continue;
    try {
      const parsed = completionsAnswer.safeParse(JSON.parse(candidate));
      if (parsed.success) {
        return parsed.data.map((c) =>
          typeof c === 'string' ? { label: c.split('\n')[0]!.slice(0, 200), insertText: c } : { label: c.label, insertText: c.insertText ?? c.label },
        );
      }
    } catch {
      // try the next reading
    }
  }
  return undefined;
};

/**
 * An inline completion as the editor wants it: no fences, not repeating what is already before the cursor
 * on that line, stopping before it repeats what follows the cursor, at most `maxLines` lines.
 */
export const cleanInline = (answer: string, linePrefix: string, suffix: string, maxLines: number): string => {
  let text = /```/.test(answer) ? codeIn(answer) : answer;
  const typed = linePrefix.trimStart();
  if (typed && text.trimStart().startsWith(typed)) text = text.trimStart().slice(typed.length);
  // Models often run on into the code after the cursor: cut the answer where the rest of it is just that.
  const following = suffix
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const lines = text.split('\n');
  for (let k = 1; k < lines.length; k++) {
    const rest = lines
      .slice(k)
      .map((l) => l.trim())
      .filter(Boolean);
    if (rest.length > 0 && rest.every((l, i) => l === following[i])) {
      text = lines.slice(0, k).join('\n');
      break;
    }
  }
  return text.split('\n').slice(0, maxLines).join('\n').replace(/\s+$/, '');
};
