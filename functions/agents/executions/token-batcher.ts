/**
 * Model tokens arrive one fragment at a time; one event per fragment would cost a database write (and a
 * WebSocket push per subscriber) each. The batcher collects fragments and flushes them as one
 * `execution.token` event every `intervalMs` or once `maxChars` are waiting, whichever comes first.
 * Flushes run one after another, so batches keep their order.
 */
export interface TokenBatcherOptions {
  intervalMs?: number;
  maxChars?: number;
  /** Publishes one batch; failures are reported to `onError`, never thrown into the model stream. */
  flush: (text: string) => Promise<void>;
  onError?: (error: unknown) => void;
}

export class TokenBatcher {
  readonly #intervalMs: number;
  readonly #maxChars: number;
  readonly #flush: (text: string) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #buffer = '';
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: TokenBatcherOptions) {
    this.#intervalMs = options.intervalMs ?? 100;
    this.#maxChars = options.maxChars ?? 200;
    this.#flush = options.flush;
    this.#onError = options.onError ?? (() => undefined);
  }

  push(text: string): void {
    if (text === '') return;
    this.#buffer += text;
    if (this.#buffer.length >= this.#maxChars) this.#send();
    else this.#timer ??= setTimeout(() => this.#send(), this.#intervalMs);
  }

  /** Sends what is left and waits until every batch is published. */
  async close(): Promise<void> {
    this.#send();
    await this.#chain;
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer === '') return;
    const text = this.#buffer;
    this.#buffer = '';
    this.#chain = this.#chain.then(() => this.#flush(text)).catch(this.#onError);
  }
}
