/**
 * Text positions the LSP way (0-based line, UTF-16 code units; `\n`, `\r\n` and `\r` end lines), on top of
 * vscode-languageserver-textdocument, with the strict checks an API needs: a position past the end of a line
 * or of the file, or one that splits a surrogate pair, is a 400 naming the field instead of being clamped.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ValidationError } from '#shared/errors.ts';
import type { Position, Range, TextEdit } from './ide-bridge.contracts.ts';

export const documentOf = (path: string, content: string): TextDocument => TextDocument.create(`file:///${path}`, 'plaintext', 1, content);

export const positionAt = (content: string, offset: number): Position => documentOf('', content).positionAt(offset);

export const rangeOf = (content: string, start: number, end: number): Range => {
  const doc = documentOf('', content);
  return { start: doc.positionAt(start), end: doc.positionAt(end) };
};

/** End of line `line`'s text (before its line break), as an offset. */
const lineEnd = (doc: TextDocument, line: number): number => {
  const text = doc.getText();
  // The last line runs to the end of the text; any other ends before the break that starts the next one.
  if (line + 1 >= doc.lineCount) return text.length;
  let end = doc.offsetAt({ line: line + 1, character: 0 });
  if (text[end - 1] === '\n') end--;
  if (text[end - 1] === '\r' && end > doc.offsetAt({ line, character: 0 })) end--;
  return end;
};

/** The offset of `position` in `content`, or a ValidationError naming `field` (e.g. `body.position`). */
export const checkedOffset = (content: string, position: Position, field: string): number => {
  const doc = documentOf('', content);
  if (position.line >= doc.lineCount) {
    throw new ValidationError(`${field} is outside the document`, [
      { path: `${field}.line`, message: `Line ${position.line} is past the end of the file (it has ${doc.lineCount} line(s), 0-based)` },
    ]);
  }
  const start = doc.offsetAt({ line: position.line, character: 0 });
  const end = lineEnd(doc, position.line);
  if (start + position.character > end) {
    throw new ValidationError(`${field} is outside the document`, [
      {
        path: `${field}.character`,
        message: `Character ${position.character} is past the end of line ${position.line} (${end - start} UTF-16 code units long)`,
      },
    ]);
  }
  const offset = start + position.character;
  const before = content.charCodeAt(offset - 1);
  if (offset > start && before >= 0xd800 && before <= 0xdbff) {
    throw new ValidationError(`${field} is not a valid UTF-16 position`, [
      { path: `${field}.character`, message: 'The position splits a surrogate pair (characters are counted in UTF-16 code units)' },
    ]);
  }
  return offset;
};

export const checkedRange = (content: string, range: Range, field: string): { start: number; end: number } => {
  const start = checkedOffset(content, range.start, `${field}.start`);
  const end = checkedOffset(content, range.end, `${field}.end`);
  if (end < start) throw new ValidationError(`${field} ends before it starts`, [{ path: `${field}.end`, message: 'The end comes before the start' }]);
  return { start, end };
};

/** Applies LSP TextEdits (sorted, must not overlap) to `content`; throws on overlap or a position outside. */
export const applyEdits = (content: string, edits: readonly TextEdit[]): string => {
  for (const [i, edit] of edits.entries()) checkedRange(content, edit.range, `edits.${i}.range`);
  const sorted = edits
    .map((edit) => ({ edit, start: documentOf('', content).offsetAt(edit.range.start), end: documentOf('', content).offsetAt(edit.range.end) }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start < sorted[i - 1]!.end) throw new ValidationError('Edits overlap', [{ path: 'edits', message: 'Two edits overlap' }]);
  }
  return TextDocument.applyEdits(documentOf('', content), [...edits]);
};
