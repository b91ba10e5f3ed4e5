/**
 * Resource ids: a type prefix and 16 base64url characters (96 random bits), e.g. `agt_3kTMd9aQw0eR1xYz`.
 * One generator and one schema, so every id reads the same and every route validates it the same way.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';

export type IdPrefix = 'agt' | 'fil' | 'exe' | 'key' | 'ten' | 'wsp';

export const newId = (prefix: IdPrefix): string => `${prefix}_${randomBytes(12).toString('base64url')}`;

/** Ids of this kind as path parameters or fields; a bad one is a 400 naming the field. */
export const idSchema = (prefix: IdPrefix, noun: string) => {
  const example = `${prefix}_3kTMd9aQw0eR1xYz`;
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9_-]{8,64}$`), `Expected ${noun} id like ${example}`)
    .meta({ example });
};
