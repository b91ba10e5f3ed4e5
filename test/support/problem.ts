/** Assertions on RFC 9457 answers, shared by the API tests. */
import { expect } from 'vitest';
import type { JsonResponse } from './runtime.ts';

/** Asserts `res` is a problem+json with no stack trace, and returns its body. */
export const problemOf = (res: JsonResponse) => {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: res.status, detail: expect.any(String) });
  expect(res.text).not.toMatch(/\n\s+at /);
  return res.body as { errors?: Array<{ path: string; message: string }> };
};

/** The field paths a problem names (`body.name`, `query.limit`, ...). */
export const errorPaths = (res: JsonResponse): string[] => (problemOf(res).errors ?? []).map((e) => e.path);
