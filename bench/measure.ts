/** Small pieces the benchmarks share. */
import { WebSocket } from 'ws';

/** The middle value (the upper one of the two middles for an even count). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A WebSocket client, once it is open. */
export const openSocket = (url: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
