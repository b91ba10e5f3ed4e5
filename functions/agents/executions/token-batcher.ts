/**
 * Model tokens arrive one fragment at a time; one event per fragment would cost a database write (and a
 * WebSocket push per subscriber) each. The batcher collects fragments and flushes them as one
 * `execution.token` event every `intervalMs` or once `maxChars` are waiting, whichever comes first.
 * The first fragment of a call is flushed at once: that is the wait a person watching notices (time to first
 * token), and it costs one extra event per model call; the rest is batched, so the cost per call stays bounded
 * by its length (one event per `intervalMs` at most, more only for text above `maxChars` per interval).
 *
 * One flush runs at a time and takes everything buffered when it starts, so batches keep their order. A flush
 * that fails (the database restarting) puts its text back in front and is tried again after a backoff; what
 * is still unpublished when the call ends is handed back by `close()`, and the caller stores it with the
 * turn's own records, so a short outage loses no text.
 */
export interface TokenBatcherOptions {
  intervalMs?: number;
  maxChars?: number;
  /** Publishes one batch. A rejection keeps the text for the next try; it is reported to `onError`. */
  flush: (text: string) => Promise<void>;
  onError?: (error: unknown) => void;
}

/**
 * Defaults: a batch at most every 40 ms keeps every token within a frame or two of the model (the first one
 * goes at once), and at most 25 events a second per running model call.
 */
export const DEFAULT_TOKEN_BATCH = { intervalMs: 40, maxChars: 200 } as const;

/** The longest wait before a failed batch is tried again. */
const MAX_RETRY_MS = 2_000;

export class TokenBatcher {
  readonly #intervalMs: number;
  readonly #maxChars: number;
  readonly #flush: (text: string) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #buffer = '';
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #failures = 0;
  #closed = false;
  #started = false;

  constructor(options: TokenBatcherOptions) {
    this.#intervalMs = options.intervalMs ?? DEFAULT_TOKEN_BATCH.intervalMs;
    this.#maxChars = options.maxChars ?? DEFAULT_TOKEN_BATCH.maxChars;
    this.#flush = options.flush;
    this.#onError = options.onError ?? (() => undefined);
  }

  push(text: string): void {
    if (text === '' || this.#closed) return;
    this.#buffer += text;
    const first = !this.#started;
    this.#started = true;
    // While batches fail, text piles up for the retry instead of hammering the store.
    if ((first || this.#buffer.length >= this.#maxChars) && this.#failures === 0) this.#send();
    else this.#arm(this.#intervalMs);
  }

  /** Stops batching, waits for the batch under way, and returns the text no batch published (the caller stores it). */
  async close(): Promise<string> {
    this.#stop();
    await this.#chain;
    const rest = this.#buffer;
    this.#buffer = '';
    return rest;
  }

  /** Stops batching and drops what is buffered (the call was stopped; its text must not be published). */
  async discard(): Promise<void> {
    this.#stop();
    this.#buffer = '';
    await this.#chain;
    this.#buffer = '';
  }

  #stop(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => this.#send(), ms);
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#chain = this.#chain.then(async () => {
      if (this.#closed || this.#buffer === '') return;
      const text = this.#buffer;
      this.#buffer = '';
      try {
        await this.#flush(text);
        this.#failures = 0;
      } catch (error) {
        this.#buffer = text + this.#buffer;
        this.#failures += 1;
        this.#onError(error);
        this.#arm(Math.min(MAX_RETRY_MS, this.#intervalMs * 2 ** this.#failures));
      }
    });
  }
}
