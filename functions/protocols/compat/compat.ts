/**
 * A compatibility report of a remote MCP server: each check a client would make, passed, failed or skipped,
 * with the evidence (what was sent, what came back, what was wrong with it). The probe that talks to the
 * server is a port; the checks themselves are the use case (compat.service.ts).
 */
import type { ValidationIssue } from '../registry/protocol.ts';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface Evidence {
  /** The JSON-RPC method sent, or what was sent instead (`malformed JSON`). */
  sent?: string;
  httpStatus?: number;
  contentType?: string;
  /** The JSON-RPC response (or the start of the body when it was not JSON), cut to a few KiB. */
  response?: unknown;
  /** What the response's schema check found (JSON Pointers into the response). */
  errors?: ValidationIssue[];
  note?: string;
}

export interface Check {
  id: string;
  title: string;
  revision?: string;
  status: CheckStatus;
  evidence: Evidence;
  ms: number;
}

export interface CompatReport {
  protocol: 'mcp';
  url: string;
  passed: boolean;
  summary: { passed: number; failed: number; skipped: number };
  /** The revisions the server was found to speak. */
  revisions: string[];
  checks: Check[];
}

/** One HTTP exchange with the server: what came back, or why nothing did. */
export interface Exchange {
  httpStatus?: number;
  contentType?: string;
  /** The JSON-RPC message answering the request (from a JSON body or an SSE stream), when there is one. */
  message?: unknown;
  /** The body when it held no JSON-RPC message (cut). */
  text?: string;
  /** `MCP-Session-Id` the server assigned (2025-11-25 servers with sessions). */
  sessionId?: string;
  /** Timeout, refused address, connection error. */
  failure?: string;
  ms: number;
}

export interface ProbeRequest {
  /** The raw body to send (a JSON-RPC message, or deliberately malformed text). */
  body: string;
  revision: string;
  /** The JSON-RPC method (for the revision's HTTP headers). */
  method?: string;
  sessionId?: string;
}

export interface McpProbe {
  send(request: ProbeRequest): Promise<Exchange>;
  /** The official SDK client connects in `revision` and lists the tools (its own per-revision schemas apply). */
  sdkListTools(revision: string): Promise<{ ok: true; tools: number; ms: number } | { ok: false; error: string; ms: number }>;
  /** Ends a 2025 session the server opened (HTTP DELETE), best effort. */
  endSession(sessionId: string): Promise<void>;
}
