/**
 * What a hostile or careless client sends, as fast-check arbitraries: the values, keys, ids, query strings,
 * headers and bodies the fuzz suite mixes into otherwise valid requests and frames.
 */
import fc from 'fast-check';

/** Percent-encoding that takes any string (lone surrogates, which encodeURIComponent refuses, become U+FFFD). */
export const encode = (s: string): string => encodeURIComponent(s.toWellFormed());

/** Keys that mean something to a plain JavaScript object. */
export const prototypeKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

/** Strings PostgreSQL, logs, headers or URLs choke on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\udc00',
    'x\ud800',
    '\r\n',
    'line\nbreak',
    '\t',
    '\u202e' + 'gnp.exe',
    '\ufeff',
    '../../etc/passwd',
    '..',
    '.',
    '%2E%2E',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup string, sent as data.
    '${jndi:ldap://x}',
    '{{7*7}}',
    'null',
    'undefined',
    'NaN',
    '-1',
    '1e309',
    '💩'.repeat(50),
    ...prototypeKeys,
  ),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 16 }),
  fc.constantFrom(1_000, 70_000).map((n) => 'x'.repeat(n)),
);

/** Numbers at and past every boundary a schema is likely to have. */
export const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(
  -1,
  0,
  -0,
  0.5,
  1.5,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  1e-320,
);

/** Nesting: inside the JSON depth limit, and far past it (the text is built, not the value). */
export const deepJsonText = (depth: number, leaf = '1'): string => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

/** A value of the wrong kind, or a right kind with hostile content. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}, [null], { '': '' }),
  fc.constantFrom(...prototypeKeys).map((k) => JSON.parse(`{${JSON.stringify(k)}: {"polluted": true}}`) as unknown),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(hostileString, { maxLength: 5 }),
  fc.integer({ min: 10, max: 60 }).map((d) => JSON.parse(deepJsonText(d)) as unknown),
);

/** Path ids: dot segments and their encodings, separators, control characters, bad percent-encoding. */
export const hostilePathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '%2E%2E',
    '%2e%2e',
    '%2E',
    '.%2E',
    '%2E.',
    '..%2F',
    'a%2Fb',
    '%2F',
    '%5C',
    'a%5Cb',
    '%00',
    'a%00b',
    '%0D%0A',
    'x%0Ay',
    '%20',
    '%25',
    '%ZZ',
    '%',
    '%C0%AF',
    '%ED%B0%80',
    '%F0%9F%92%A9',
    '__proto__',
    'constructor',
    'x'.repeat(4_000),
    '%3F',
    '%23',
    ';',
    'a;b=c',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(encode),
);

/** Query strings: numbers out of range, garbage cursors, repeated and prototype-named parameters. */
export const hostileQuery: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'limit=-1',
    'limit=0',
    'limit=1e9',
    'limit=abc',
    'limit=1.5',
    'limit=',
    'limit=10&limit=20',
    'limit=%00',
    'cursor=garbage',
    'cursor=',
    'cursor=eyJ9',
    `cursor=${'A'.repeat(5_000)}`,
    'cursor=%ZZ',
    '__proto__=1',
    'constructor=1',
    'toString=1&hasOwnProperty=1',
    'afterSeq=-1',
    'afterSeq=99999999999999999999',
    'from=yesterday&to=tomorrow',
    'from=0000-01-01T00:00:00Z',
    'status=%0D%0A',
    '%E0%A4%A=1',
  ),
  fc
    .tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 40 }))
    .map(([k, v]) => `${encode(k || 'k')}=${encode(v)}`),
);

/** Headers a gateway or a handler must not trip over (names and values Node lets a client send). */
export const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constantFrom<Record<string, string>>(
    { constructor: 'x' },
    { __proto__: 'x' } as Record<string, string>,
    { toString: 'x', hasOwnProperty: 'y' },
    { 'idempotency-key': 'has space' },
    { 'idempotency-key': 'x'.repeat(300) },
    { 'if-match': 'yesterday' },
    { 'if-match': '"99999999999"' },
    { 'x-api-key': `mls_${'A'.repeat(43)}` },
    { 'x-padding': 'p'.repeat(12_000) },
    { 'x-padding': 'p'.repeat(70_000) },
    { 'content-length-x': '-1' },
  ),
  fc.dictionary(fc.constantFrom('x-a', 'x-b', 'accept', 'origin', 'user-agent'), fc.string({ unit: 'grapheme-ascii', maxLength: 100 })),
);

/** Bodies that are not the JSON object a route wants, with the content type they come with. */
export const hostileBody: fc.Arbitrary<{ body: string; contentType?: string }> = fc.oneof(
  fc.constantFrom(
    { body: 'not json' },
    { body: '{' },
    { body: '{"a":1,}' },
    { body: '{"a":1}trailing' },
    { body: '[]' },
    { body: '[{}]' },
    { body: 'null' },
    { body: '0' },
    { body: '"text"' },
    { body: 'true' },
    { body: '\ufeff{}' },
    { body: '{"a":1,"a":2}' },
    { body: deepJsonText(65, '{}') },
    { body: deepJsonText(30_000) },
    { body: `{"k":${deepJsonText(100_000)}}` },
    { body: '{}', contentType: 'text/plain' },
    { body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
    { body: '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--', contentType: 'multipart/form-data; boundary=b' },
    { body: '{}', contentType: 'application/json; charset=utf-16' },
    { body: '{}', contentType: 'application/xml' },
    { body: `{"x":"${'y'.repeat(300 * 1024)}"}` },
  ),
  fc.string({ unit: 'binary', maxLength: 200 }).map((body) => ({ body })),
);
