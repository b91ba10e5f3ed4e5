/**
 * Lists answer `{ items, nextCursor }` for `?limit=&cursor=`. The cursor is opaque to clients: base64url
 * of a small JSON keyset position, so pages stay stable while rows are inserted.
 */
import * as z from 'zod';
import { ValidationError } from './errors.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

// Unknown query parameters are ignored (cache busters, tracking), unlike unknown body fields.
export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT)
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

/** Decodes a cursor into the expected shape, or a 400 naming `query.cursor`. */
export const decodeCursor = <T>(cursor: string | undefined, shape: z.ZodType<T>): T | undefined => {
  if (cursor === undefined) return undefined;
  try {
    const parsed = shape.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw new ValidationError('The cursor is not valid', [{ path: 'query.cursor', message: 'Not a cursor returned by this list' }]);
};

/** Builds a page from `limit + 1` fetched rows: the extra row only says that another page exists. */
export const toPage = <Row, Item>(rows: Row[], limit: number, item: (row: Row) => Item, position: (row: Row) => Record<string, string | number>): Page<Item> => {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { items: pageRows.map(item), nextCursor: hasMore && last !== undefined ? encodeCursor(position(last)) : null };
};
