/**
 * The language server in a live workspace (docs/ide-bridge.md, "Live in a workspace"): one WebSocket to the
 * platform with the server's own credentials, subscribed to `workspace:<id>` (which is what makes the user
 * present: the workspace's members see `presence.join`, and `presence.leave` when the editor closes), and
 * `publish`ing two kinds of messages there:
 *
 *   { "type": "ide.presence", "path": "src/app.ts", "line": 41, "character": 8, "editor": "Neovim" }
 *   { "type": "ide.diagnostics", "path": "src/app.ts", "analyzer": {...}, "counts": {...}, "diagnostics": [...] }
 *
 * Presence is sent when the file or line changes, at most once a second (the latest position wins); analysis
 * results when a shared file's diagnostics change, at most 50 of them (the channel's frames stay well below
 * the 32 KB push limit). Both are stored in the workspace's history like any message, which is what lets the
 * live execution views and late joiners replay them. A lost connection is re-opened (1 s, doubling to 30 s)
 * and what changed meanwhile is sent; a refusal (no such workspace, not a member, a viewer may not publish,
 * revoked credentials) is said once and not retried.
 */

export interface DiagnosticSummary {
  path: string;
  analyzer: { name: string; version: string } | null;
  counts: { error: number; warning: number; information: number; hint: number };
  diagnostics: Array<{
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
    severity: string;
    code?: string | number | undefined;
    message: string;
    source: string;
  }>;
  /** More diagnostics than were sent. */
  truncated: boolean;
}

export interface LiveWorkspaceOptions {
  wsUrl: string;
  token: string;
  workspaceId: string;
  /** Shown to the user (once per reason, by the caller). */
  notify: (type: 'error' | 'warning' | 'info', message: string) => void;
  log: (line: string) => void;
  /** The editor's name (from `initialize`'s clientInfo), shown beside the position. */
  editor?: string | undefined;
  presenceIntervalMs?: number;
}

export const MAX_SHARED_DIAGNOSTICS = 50;
const MAX_MESSAGE_CHARS = 300;
const PING_MS = 4 * 60_000;

interface Frame {
  type?: string;
  id?: string;
  status?: number;
  detail?: string;
  channel?: string;
}

export class LiveWorkspace {
  readonly channel: string;
  private readonly options: LiveWorkspaceOptions;
  private socket: WebSocket | undefined;
  private live = false;
  private stopped = false;
  private mayPublish = true;
  private backoffMs = 1000;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private lastPresenceAt = 0;
  private wantedPresence: { path: string; line: number; character: number } | undefined;
  private sentPresence = '';
  private readonly sentDiagnostics = new Map<string, string>();
  private readonly pendingDiagnostics = new Map<string, DiagnosticSummary>();
  private frameId = 0;

  constructor(options: LiveWorkspaceOptions) {
    this.options = options;
    this.channel = `workspace:${options.workspaceId}`;
  }

  start(): void {
    this.open();
  }

  /** The user is at `line` of `path` (relative to the project): sent if it is news, at most once a second. */
  presence(filePath: string, line: number, character: number): void {
    this.wantedPresence = { path: filePath, line, character };
    this.schedulePresence();
  }

  /** A shared file's analysis: sent when it differs from what was last sent for that file. */
  diagnostics(summary: DiagnosticSummary): void {
    const key = JSON.stringify(summary);
    if (this.sentDiagnostics.get(summary.path) === key) {
      this.pendingDiagnostics.delete(summary.path);
      return;
    }
    this.pendingDiagnostics.set(summary.path, summary);
    this.flushDiagnostics();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of [this.reconnectTimer, this.pingTimer, this.presenceTimer]) clearTimeout(timer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const done = setTimeout(resolve, 1000);
      socket.addEventListener('close', () => {
        clearTimeout(done);
        resolve();
      });
      socket.close();
    });
  }

  private open(): void {
    if (this.stopped) return;
    const url = new URL(this.options.wsUrl);
    url.searchParams.set('token', this.options.token);
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      this.options.notify('error', `Live workspace: ${this.options.wsUrl} is not a WebSocket URL (${(error as Error).message})`);
      this.stopped = true;
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.send({ action: 'subscribe', channel: this.channel, id: 'subscribe' });
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ action: 'ping' }), PING_MS);
      this.pingTimer.unref();
    });
    socket.addEventListener('message', (event) => this.onFrame(String(event.data)));
    socket.addEventListener('error', () => {
      // The close event follows; the reason is logged there.
    });
    socket.addEventListener('close', (event) => {
      this.live = false;
      clearInterval(this.pingTimer);
      if (this.stopped) return;
      this.options.log(`live workspace: connection closed (${event.code}); reconnecting in ${this.backoffMs} ms`);
      this.reconnectTimer = setTimeout(() => this.open(), this.backoffMs);
      this.reconnectTimer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
      // Whoever joins again must get the current position, even if it did not change meanwhile.
      this.sentPresence = '';
    });
  }

  private onFrame(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    if (frame.type === 'subscribed' && frame.id === 'subscribe') {
      this.live = true;
      this.backoffMs = 1000;
      this.options.log(`live workspace: subscribed to ${this.channel}`);
      this.schedulePresence();
      this.flushDiagnostics();
      return;
    }
    if (frame.type !== 'error') return;
    const detail = frame.detail ?? `status ${frame.status}`;
    if (frame.id === 'subscribe' || frame.status === 401) {
      // Not a member, no such workspace, a malformed id, or revoked credentials: retrying cannot help.
      const why = frame.status === 404 ? 'it does not exist in your tenant, or you are not a member' : detail;
      this.options.notify('error', `Live workspace ${this.options.workspaceId} is not available: ${why}`);
      this.stopped = true;
      this.socket?.close();
      return;
    }
    if (frame.status === 403) {
      this.mayPublish = false;
      this.options.notify(
        'warning',
        `Live workspace ${this.options.workspaceId}: you may watch but not publish (${detail}); your position and analyses stay private`,
      );
      return;
    }
    this.options.log(`live workspace: ${detail}`);
  }

  private send(frame: object): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private publish(data: object): boolean {
    if (!this.live || !this.mayPublish) return false;
    return this.send({ action: 'publish', channel: this.channel, data, id: `p${++this.frameId}` });
  }

  private schedulePresence(): void {
    if (this.presenceTimer || !this.wantedPresence) return;
    const wait = Math.max(0, this.lastPresenceAt + (this.options.presenceIntervalMs ?? 1000) - Date.now());
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = undefined;
      const wanted = this.wantedPresence;
      if (!wanted) return;
      // Same file and line: the character alone is not news worth a stored message.
      const key = `${wanted.path}:${wanted.line}`;
      if (key === this.sentPresence) return;
      if (this.publish({ type: 'ide.presence', ...wanted, ...(this.options.editor && { editor: this.options.editor }) })) {
        this.sentPresence = key;
        this.lastPresenceAt = Date.now();
      }
    }, wait);
    this.presenceTimer.unref();
  }

  private flushDiagnostics(): void {
    for (const [filePath, summary] of this.pendingDiagnostics) {
      const body = {
        type: 'ide.diagnostics',
        ...summary,
        diagnostics: summary.diagnostics.slice(0, MAX_SHARED_DIAGNOSTICS).map((d) => ({ ...d, message: d.message.slice(0, MAX_MESSAGE_CHARS) })),
        truncated: summary.truncated || summary.diagnostics.length > MAX_SHARED_DIAGNOSTICS,
      };
      if (!this.publish(body)) return;
      this.sentDiagnostics.set(filePath, JSON.stringify(summary));
      this.pendingDiagnostics.delete(filePath);
    }
  }
}
