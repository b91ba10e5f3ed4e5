/**
 * A lazy port loads its adapter on the first call, once, for every method, and tries again after a load that
 * failed (a setting missing at first, then set), so a function that holds the port never fails for good.
 */
import { describe, expect, it } from 'vitest';
import { lazyPort } from '#shared/lazy-port.ts';

interface Store {
  put(key: string, value: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
}

class MapStore implements Store {
  readonly #values = new Map<string, string>();
  async put(key: string, value: string): Promise<void> {
    this.#values.set(key, value);
  }
  async get(key: string): Promise<string | undefined> {
    return this.#values.get(key);
  }
}

describe('lazyPort', () => {
  it('loads nothing until called, then once for all methods and concurrent calls', async () => {
    let loads = 0;
    const store = lazyPort<Store>(
      async () => {
        loads++;
        return new MapStore();
      },
      { put: true, get: true },
    );
    expect(loads).toBe(0);
    await Promise.all([store.put('a', '1'), store.put('b', '2'), store.get('a')]);
    expect(await store.get('b')).toBe('2');
    expect(loads).toBe(1);
  });

  it('tries the load again after one that failed', async () => {
    let configured = false;
    const store = lazyPort<Store>(
      async () => {
        if (!configured) throw new Error('BUCKET_NAME is not set');
        return new MapStore();
      },
      { put: true, get: true },
    );
    await expect(store.get('a')).rejects.toThrow('BUCKET_NAME is not set');
    configured = true;
    await store.put('a', '1');
    expect(await store.get('a')).toBe('1');
  });
});
