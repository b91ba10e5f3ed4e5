/** Small HTTP helpers shared by the local gateways. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import type { Duplex } from 'node:stream';

/** RFC 9457 body, the same shape the stack's gateway responses use. */
export function sendProblem(res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}

/** Reads the whole body, refusing (without buffering further) once it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new PayloadTooLargeError(`body of ${declared} bytes exceeds ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new PayloadTooLargeError(`body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A map keyed by client-chosen names (headers, query parameters). No prototype: a header called
 * `constructor` or `__proto__` is just a name, not Object's own property (which made the gateway fail
 * before any handler ran), and the event serializes exactly as API Gateway's JSON would.
 */
export const clientMap = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** Header maps as API Gateway builds them: original casing, last value wins / all values. */
export function headerMaps(req: IncomingMessage): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers = clientMap<string>();
  const multiValueHeaders = clientMap<string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    const values = multiValueHeaders[name] ?? [];
    values.push(value);
    multiValueHeaders[name] = values;
  }
  return { headers, multiValueHeaders };
}

export function queryMaps(url: URL): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const single = clientMap<string>();
  const multi = clientMap<string[]>();
  for (const [k, v] of url.searchParams) {
    single[k] = v;
    const values = multi[k] ?? [];
    values.push(v);
    multi[k] = values;
  }
  const empty = Object.keys(single).length === 0;
  return { queryStringParameters: empty ? null : single, multiValueQueryStringParameters: empty ? null : multi };
}

export function sourceIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting and closes idle keep-alive connections at once; requests in flight get up to `drainMs`
 * to finish (their handlers may still be talking to PostgreSQL, which stops after the gateways), then
 * whatever is left is dropped.
 */
export function close(server: Server, drainMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const http = server as Server & { closeAllConnections?: () => void; closeIdleConnections?: () => void };
    // A keep-alive request in flight when close() is called is still answered `Connection: keep-alive`,
    // and its socket then sits idle until keepAliveTimeout (5 s) before close() completes: close each
    // connection as soon as it has gone idle.
    const sweep = setInterval(() => http.closeIdleConnections?.(), 20);
    const timer = setTimeout(() => http.closeAllConnections?.(), drainMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(timer);
      resolve();
    });
    http.closeIdleConnections?.();
  });
}

export const requestTime = (d: Date): string => {
  // API Gateway's CLF-style time: 12/Mar/2024:19:03:58 +0000
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
};

/**
 * Requests Node cannot parse never reach a handler: headers over Node's limit (HPE_HEADER_OVERFLOW), a broken
 * request line. Node would answer a bare 431/400 (or nothing); clients of this API get problem+json like
 * every other error, then the connection is closed (the request stream is unusable).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, title, detail] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are larger than this API accepts']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'The request did not arrive in time']
          : [400, 'Bad Request', 'The request is not valid HTTP'];
    const body = JSON.stringify({ type: 'about:blank', title, status, detail });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
