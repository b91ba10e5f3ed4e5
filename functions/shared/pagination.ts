/**
 * Lists answer `{ items, nextCursor }` for `?limit=&cursor=`. The cursor is opaque to clients: base64url
 * of a small JSON keyset position, so pages stay stable while rows are inserted.
 */
import * as z from 'zod';
import { ValidationError } from './errors.ts';
import { unsafeStrings } from './stored-json.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

// Unknown query parameters are ignored (cache busters, tracking), unlike unknown body fields.
export const listQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .meta({ description: `Page size, 1-${MAX_LIMIT}`, example: DEFAULT_LIMIT }),
  cursor: z.string().min(1).max(512).optional().meta({ description: 'Opaque cursor from a previous page (`nextCursor`)' }),
});

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const pageSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const encodeCursor = (position: Record<string, string | number>): string =>
  Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');

// Cursors are client input: a crafted one must fail here as a 400, not in PostgreSQL as a 500. So cursor
// shapes are built from these fields, which only take values the keyset columns can hold.

/** PostgreSQL `int` (int4) is signed 32-bit. */
export const PG_INT_MAX = 2_147_483_647;

/** A keyset position in an `int` column (step numbers, versions). */
export const cursorInt = (min = 0) => z.int().min(min).max(PG_INT_MAX);

/**
 * A keyset position in a `timestamptz` column. zod takes year 0000, which PostgreSQL refuses (22008);
 * ISO 8601 with a four-digit year gives 0001-9999, which it stores.
 */
export const cursorTimestamp = z.iso.datetime({ offset: true }).refine((s) => Number(s.slice(0, 4)) >= 1, 'Year must be 0001-9999');

/** A keyset id (NUL and lone surrogates are refused by `decodeCursor` for every string). */
export const cursorId = z.string().max(512);

/** The usual `(created_at, id)` keyset position. */
export const createdAtPosition = z.object({ createdAt: cursorTimestamp, id: cursorId });
export type CreatedAtPosition = z.output<typeof createdAtPosition>;

/** Decodes a cursor into the expected shape, or a 400 naming `query.cursor`. */
export const decodeCursor = <T>(cursor: string | undefined, shape: z.ZodType<T>): T | undefined => {
  if (cursor === undefined) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const parsed = unsafeStrings(decoded).length === 0 ? shape.safeParse(decoded) : undefined;
    if (parsed?.success) return parsed.data;
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw new ValidationError('The cursor is not valid', [{ path: 'query.cursor', message: 'Not a cursor returned by this list' }]);
};

/** Builds a page from `limit + 1` fetched rows: the extra row only says that another page exists. */
export const toPage = <Row, Item>(
  rows: Row[],
  limit: number,
  item: (row: Row) => Item,
  position: (row: Row) => Record<string, string | number>,
): Page<Item> => {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { items: pageRows.map(item), nextCursor: hasMore && last !== undefined ? encodeCursor(position(last)) : null };
};
