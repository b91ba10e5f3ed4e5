/**
 * The language server's client of the IDE bridge's REST routes (`POST /v1/ide/<route>`). Every failure becomes
 * an IdeApiError whose `kind` tells the server what to do with it: `unreachable` and `unconfigured` (say so
 * once, keep serving), `http` (a problem+json answer: a 403 role, a 400 for this document, a 503 model),
 * `cancelled` (the editor moved on) and `timeout`. The connection is resolved lazily and again after a failure,
 * so a server started before `npm start` finds the platform once it is up (its `.mls/local.json` appears).
 */
import type {
  AnalyzeRequest,
  AnalyzeResponse,
  CompleteRequest,
  CompleteResponse,
  EditResponse,
  ExplainRequest,
  ExplainResponse,
  FixRequest,
  FixResponse,
  GenerateRequest,
  InlineRequest,
  InlineResponse,
  RefactorRequest,
} from '#functions/ide-bridge/ide-bridge.contracts.ts';
import { ConnectionError, type Connection } from '../connection.ts';

/** The request bodies as sent (defaults filled in by the API may be left out). */
type Body<T> = Partial<T> & { language: string; files: Array<{ path: string; content: string }> };

interface Routes {
  analyze: [Body<AnalyzeRequest>, AnalyzeResponse];
  complete: [Body<CompleteRequest>, CompleteResponse];
  inline: [Body<InlineRequest>, InlineResponse];
  fix: [Body<FixRequest>, FixResponse];
  generate: [Body<GenerateRequest>, EditResponse];
  refactor: [Body<RefactorRequest>, EditResponse];
  explain: [Body<ExplainRequest>, ExplainResponse];
}
export type IdeRoute = keyof Routes;

export interface ProblemBody {
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}

export type IdeApiErrorKind = 'unreachable' | 'unconfigured' | 'http' | 'cancelled' | 'timeout';

export class IdeApiError extends Error {
  readonly kind: IdeApiErrorKind;
  readonly status: number | undefined;
  readonly problem: ProblemBody | undefined;
  constructor(kind: IdeApiErrorKind, message: string, status?: number, problem?: ProblemBody) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.problem = problem;
  }

  /** A field the API named as bad (`body.options`, `body.language`, ...), if any. */
  names(prefix: string): boolean {
    return (this.problem?.errors ?? []).some((e) => e.path === prefix || e.path.startsWith(`${prefix}.`));
  }
}

export interface IdeApiOptions {
  /** Resolves the platform connection; throws ConnectionError when none is configured. */
  resolve: () => Connection;
  /** Per request; the API's own limit is 29 s (API Gateway), a little slack for the network. */
  timeoutMs?: number;
}

export class IdeApi {
  private connection: Connection | undefined;
  private failing = false;
  private recovered: () => void = () => undefined;
  private readonly options: IdeApiOptions;

  constructor(options: IdeApiOptions) {
    this.options = options;
  }

  /** After an unreachable or unconfigured platform, the next answer (any status) calls `listener`. */
  onRecovered(listener: () => void): void {
    this.recovered = listener;
  }

  /** Where requests go, for messages (undefined until a connection was resolved). */
  get url(): string | undefined {
    return this.connection?.restUrl;
  }

  current(): Connection {
    if (!this.connection) {
      try {
        this.connection = this.options.resolve();
      } catch (error) {
        if (error instanceof ConnectionError) {
          this.failing = true;
          throw new IdeApiError('unconfigured', error.message);
        }
        throw error;
      }
    }
    return this.connection;
  }

  async post<R extends IdeRoute>(route: R, body: Routes[R][0], signal?: AbortSignal): Promise<Routes[R][1]> {
    const connection = this.current();
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 35_000);
    let response: Response;
    try {
      response = await fetch(`${connection.restUrl}/v1/ide/${route}`, {
        method: 'POST',
        headers: { 'x-api-key': connection.apiKey, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw new IdeApiError('cancelled', 'Cancelled');
      if (timeout.aborted) throw new IdeApiError('timeout', `${connection.restUrl} did not answer /v1/ide/${route} in time`);
      // Re-read the configuration next time: a restarted `npm start` may be on other ports, with another key.
      this.connection = undefined;
      this.failing = true;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new IdeApiError('unreachable', `Cannot reach the platform at ${connection.restUrl} (${cause?.code ?? cause?.message ?? String(error)})`);
    }
    const text = await response.text().catch(() => '');
    if (this.failing) {
      this.failing = false;
      this.recovered();
    }
    if (!response.ok) {
      let problem: ProblemBody | undefined;
      try {
        problem = JSON.parse(text) as ProblemBody;
      } catch {
        problem = undefined;
      }
      if (response.status === 401) this.connection = undefined;
      const detail = problem?.detail ?? (text.slice(0, 200) || response.statusText);
      throw new IdeApiError('http', `/v1/ide/${route} answered ${response.status}: ${detail}`, response.status, problem);
    }
    return JSON.parse(text) as Routes[R][1];
  }
}
