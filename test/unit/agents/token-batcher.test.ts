/**
 * The token batcher: the first fragment of a call goes out at once (time to first token), the rest in batches
 * by time and size, in order, and a failed batch is kept for the next try.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBatcher } from '#functions/agents/executions/token-batcher.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const recording = () => {
  const batches: string[] = [];
  return { batches, flush: async (text: string) => void batches.push(text) };
};

describe('TokenBatcher', () => {
  it('flushes the first fragment at once, then batches the following ones by time', async () => {
    const { batches, flush } = recording();
    const batcher = new TokenBatcher({ intervalMs: 40, maxChars: 1000, flush });
    batcher.push('Hel');
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual(['Hel']);
    batcher.push('lo');
    batcher.push(', ');
    await vi.advanceTimersByTimeAsync(39);
    expect(batches).toEqual(['Hel']);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual(['Hel', 'lo, ']);
    batcher.push('world');
    expect(await batcher.close()).toBe('world');
    expect(batches).toEqual(['Hel', 'lo, ']);
  });

  it('flushes as soon as maxChars are waiting, without waiting for the interval', async () => {
    const { batches, flush } = recording();
    const batcher = new TokenBatcher({ intervalMs: 1000, maxChars: 5, flush });
    batcher.push('a');
    await vi.advanceTimersByTimeAsync(0);
    batcher.push('bcd');
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual(['a']);
    batcher.push('ef');
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual(['a', 'bcdef']);
    await batcher.close();
  });

  it('keeps a failed first batch and sends it with what followed, in order', async () => {
    const batches: string[] = [];
    let fail = true;
    const errors: unknown[] = [];
    const batcher = new TokenBatcher({
      intervalMs: 10,
      maxChars: 1000,
      flush: async (text) => {
        if (fail) throw new Error('database restarting');
        batches.push(text);
      },
      onError: (e) => errors.push(e),
    });
    batcher.push('first');
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    batcher.push(' second');
    fail = false;
    await vi.advanceTimersByTimeAsync(20);
    expect(batches).toEqual(['first second']);
    expect(await batcher.close()).toBe('');
  });

  it('uses a new batcher per model call: each call gets its first fragment out at once', async () => {
    const { batches, flush } = recording();
    for (const call of ['one', 'two']) {
      const batcher = new TokenBatcher({ intervalMs: 40, flush });
      batcher.push(call);
      await vi.advanceTimersByTimeAsync(0);
      await batcher.close();
    }
    expect(batches).toEqual(['one', 'two']);
  });
});
