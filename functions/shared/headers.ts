/** API Gateway passes header names as the client sent them; HTTP says their case does not matter. */
export type Headers = Record<string, string | undefined> | null | undefined;

/** The value of header `name` (lower-case), whatever case the client used. */
export const headerOf = (headers: Headers, name: string): string | undefined => {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
};
