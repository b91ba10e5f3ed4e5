/**
 * n8n's owner account and the public-API key the monitor uses, as kept between runs, and the port that makes
 * sure both exist in an n8n (n8n-owner.adapter.ts drives n8n's internal REST API to do it).
 */

/** The owner's credentials and, once created, the monitor's API key. */
export interface N8nAccess {
  email: string;
  password: string;
  apiKey?: string;
}

/** Where they are kept: a 0600 file locally, Secrets Manager for the stack's n8n. */
export interface N8nAccessStore {
  /** What was kept, or undefined when nothing was (a fresh local n8n). */
  load(): Promise<N8nAccess | undefined>;
  save(access: N8nAccess): Promise<void>;
  /** Where a person finds the password (log lines). */
  describe: string;
}

export interface N8nOwnerAccess {
  apiKey: string;
  owner: { email: string; password: string };
  /** What was done: the owner set up, signed in, or the stored key still worked. */
  steps: Array<'owner-set-up' | 'signed-in' | 'key-reused' | 'key-created'>;
}

/**
 * Setting up access failed. `retryable`: n8n was not reachable or not ready (connection refused, a timeout,
 * the load balancer's 502/503/504 while no task is healthy), so trying again later may succeed; otherwise n8n
 * answered and refused (a wrong stored password, an owner nobody here knows).
 */
export class N8nOwnerError extends Error {
  override name = 'N8nOwnerError';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/** Makes sure the n8n has an owner and a working public-API key; the port the stack's setup use case takes. */
export interface N8nOwnerPort {
  ensureAccess(): Promise<N8nOwnerAccess>;
}
