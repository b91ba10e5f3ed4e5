/**
 * The executions REST use cases: start (idempotent), read, steps, events, cancel, decide an approval.
 * The orchestrator port hides Step Functions.
 */
import type { ChannelEvent } from '#shared/channel-events.ts';
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, UnprocessableContentError, ValidationError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';
import { cursorInt, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import * as z from 'zod';
import type { ImageMediaType } from '../models/model.types.ts';
import type { ExecutionStepView, ExecutionView } from '../executions.contracts.ts';
import { executionChannelName } from './execution-channel.ts';
import type { ExecutionRepository } from './execution.ts';
import { isTerminal, newExecutionId, type ExecutionRecord, type ImageRef, type StepRecord } from './execution.ts';
import { MAX_IMAGE_BYTES, type ExecutionObserver } from './agent-loop.service.ts';

export interface Orchestrator {
  /** Starts the run named after the execution (a repeated start of the same run is harmless). */
  start(executionId: string, input: { executionId: string; tenantId: string }): Promise<string>;
  stop(executionArn: string, cause: string): Promise<void>;
  /** Resumes a task waiting on `token`; false when the token is no longer valid (the run stopped). */
  resume(token: string, output: unknown): Promise<boolean>;
}

export interface EventReader {
  listAfter(tenantId: string, channel: string, afterSeq: number, limit: number): Promise<ChannelEvent[]>;
}

export interface ExecutionsDeps {
  repo: ExecutionRepository;
  orchestrator: Orchestrator;
  eventReader: EventReader;
  /** Whether a tool pauses for a decision (the tool runner's answer). */
  needsApproval: (toolName: string) => boolean;
  /** Marks the tenant's files whose upload finished as uploaded, so a client may start a run right after its PUT. */
  confirmUploads: (tenantId: string, fileIds: string[]) => Promise<void>;
  /** Told once when a cancel ends a run, like the loop's own ends (metrics, `Execution Finished` on the bus). */
  observer?: Pick<ExecutionObserver, 'finished'>;
}

const IMAGE_TYPES: readonly ImageMediaType[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export const toView = (e: ExecutionRecord): ExecutionView => ({
  executionId: e.id,
  agentId: e.agentId,
  agentVersion: e.agentVersion,
  status: e.status,
  input: {
    ...(e.input.text !== undefined && { text: e.input.text }),
    ...(e.input.images && { images: e.input.images.map((i) => ({ fileId: i.fileId, mediaType: i.mediaType })) }),
  },
  output: e.output,
  error: e.error,
  usage: { inputTokens: e.inputTokens, outputTokens: e.outputTokens },
  stepCount: e.stepCount,
  pendingApproval: e.status === 'waiting_approval' ? e.pendingToolCall : null,
  createdAt: e.createdAt.toISOString(),
  startedAt: e.startedAt?.toISOString() ?? null,
  finishedAt: e.finishedAt?.toISOString() ?? null,
  durationMs: e.startedAt && e.finishedAt ? e.finishedAt.getTime() - e.startedAt.getTime() : null,
});

const toStepView = (s: StepRecord): ExecutionStepView => ({
  stepNo: s.stepNo,
  kind: s.kind,
  provider: s.provider,
  model: s.model,
  toolName: s.toolName,
  toolCallId: s.toolCallId,
  input: s.input,
  output: s.output,
  outputRef: s.outputRef,
  error: s.error,
  inputTokens: s.inputTokens,
  outputTokens: s.outputTokens,
  latencyMs: s.latencyMs,
  startedAt: s.startedAt.toISOString(),
  finishedAt: s.finishedAt?.toISOString() ?? null,
});

const notFound = (id: string) => new NotFoundError(`No execution ${id}`);

/** JSON with object keys sorted at every level, so equal bodies hash equally whatever their key order. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** What a start request asked for: its agent and a sha256 of its canonical body. */
export const requestFingerprint = (agentId: string, body: unknown): string =>
  `${agentId}:${createHash('sha256')
    .update(canonicalJson(body ?? null))
    .digest('hex')}`;

export class ExecutionsService {
  readonly #d: ExecutionsDeps;

  constructor(deps: ExecutionsDeps) {
    this.#d = deps;
  }

  async start(
    principal: Principal,
    agentId: string,
    body: { text?: string; images?: Array<{ fileId: string }> },
    idempotencyKey: string | undefined,
  ): Promise<ExecutionView> {
    const agent = await this.#d.repo.findAgent(principal.tenantId, agentId);
    if (!agent) throw new NotFoundError(`No agent ${agentId}`);
    const images = await this.#images(principal.tenantId, body.images ?? []);
    const fingerprint = requestFingerprint(agentId, body);
    const result = await this.#d.repo.create({
      id: newExecutionId(),
      tenantId: principal.tenantId,
      agentId: agent.agentId,
      agentVersion: agent.version,
      input: { ...(body.text !== undefined && { text: body.text }), ...(images.length > 0 && { images }) },
      createdBy: principal.userId,
      idempotencyKey,
      idempotencyFingerprint: fingerprint,
    });
    const { execution, created } = result;
    // The Idempotency-Key draft (IETF httpapi): a key reused for a different payload is a 422, not a replay.
    if (!result.created && result.fingerprint !== null && result.fingerprint !== fingerprint) {
      throw new UnprocessableContentError('This Idempotency-Key was already used for a different request', [
        { path: 'headers.idempotency-key', message: 'Already used with another agent or body; send a new key for a new request' },
      ]);
    }
    // A repeat whose first attempt died before starting the run starts it now; StartExecution with the same
    // name and input is idempotent while that run is going on.
    if (created || (execution.status === 'queued' && !execution.sfnExecutionArn)) {
      const arn = await this.#d.orchestrator.start(execution.id, { executionId: execution.id, tenantId: principal.tenantId });
      await this.#d.repo.setStateMachineExecution(execution.id, arn);
      execution.sfnExecutionArn = arn;
    }
    return toView(execution);
  }

  async #images(tenantId: string, requested: Array<{ fileId: string }>): Promise<ImageRef[]> {
    if (requested.length === 0) return [];
    const ids = requested.map((i) => i.fileId);
    await this.#d.confirmUploads(tenantId, ids);
    const found = new Map((await this.#d.repo.uploadedFiles(tenantId, ids)).map((f) => [f.id, f]));
    const errors = requested.flatMap((image, i) => {
      const file = found.get(image.fileId);
      const path = `body.images.${i}.fileId`;
      if (!file) return [{ path, message: `No uploaded file ${image.fileId}` }];
      if (!IMAGE_TYPES.includes(file.contentType as ImageMediaType))
        return [{ path, message: `${image.fileId} is ${file.contentType}, not an image (${IMAGE_TYPES.join(', ')})` }];
      if (file.sizeBytes !== null && file.sizeBytes > MAX_IMAGE_BYTES)
        return [{ path, message: `${image.fileId} is larger than ${MAX_IMAGE_BYTES} bytes` }];
      return [];
    });
    if (errors.length > 0) throw new ValidationError(`${errors.length} image(s) cannot be used`, errors);
    return ids.map((id) => {
      const file = found.get(id)!;
      return { fileId: id, key: file.key, mediaType: file.contentType as ImageMediaType };
    });
  }

  async get(principal: Principal, id: string): Promise<ExecutionView> {
    const execution = await this.#d.repo.find(principal.tenantId, id);
    if (!execution) throw notFound(id);
    return toView(execution);
  }

  async steps(principal: Principal, id: string, limit: number, cursor: string | undefined): Promise<Page<ExecutionStepView>> {
    const after = decodeCursor(cursor, z.object({ s: cursorInt(0) }));
    if (!(await this.#d.repo.find(principal.tenantId, id))) throw notFound(id);
    const rows = await this.#d.repo.listSteps(principal.tenantId, id, after?.s ?? 0, limit + 1);
    return toPage(rows, limit, toStepView, (s) => ({ s: s.stepNo }));
  }

  async events(principal: Principal, id: string, afterSeq: number, limit: number) {
    if (!(await this.#d.repo.find(principal.tenantId, id))) throw notFound(id);
    const events = await this.#d.eventReader.listAfter(principal.tenantId, executionChannelName(id), afterSeq, limit);
    return {
      items: events.map((e) => ({ seq: e.seq, kind: e.kind, at: e.at, data: e.data })),
      nextAfterSeq: events.at(-1)?.seq ?? afterSeq,
    };
  }

  /** Cancelling a cancelled execution answers it again; a finished one is a conflict. */
  async cancel(principal: Principal, id: string): Promise<ExecutionView> {
    const before = await this.#d.repo.find(principal.tenantId, id);
    if (!before) throw notFound(id);
    if (before.status !== 'cancelled' && isTerminal(before.status)) throw new ConflictError(`Execution ${id} already ${before.status}`);
    // The status and its event commit together, after every write a task had under way and before any it
    // tries next: `execution.cancelled` is the run's last event. The tasks themselves see the cancel and stop.
    const cancelled = await this.#d.repo.whileActive(principal.tenantId, id, async (w) => {
      await w.finish('cancelled', {});
      await w.emit([{ kind: 'execution.cancelled', data: { by: principal.userId } }]);
      return true;
    });
    if (cancelled && before.sfnExecutionArn) await this.#d.orchestrator.stop(before.sfnExecutionArn, `Cancelled by ${principal.userId}`);
    const after = (await this.#d.repo.find(principal.tenantId, id))!;
    if (after.status !== 'cancelled') throw new ConflictError(`Execution ${id} already ${after.status}`);
    // Only the cancel whose unit ended the run reports it: a repeated cancel found it ended and tells nobody.
    if (cancelled) await this.#reportCancelled(after);
    return toView(after);
  }

  async #reportCancelled(execution: ExecutionRecord): Promise<void> {
    if (!this.#d.observer) return;
    const agent = await this.#d.repo.agentVersion(execution.tenantId, execution.agentId, execution.agentVersion).catch(() => undefined);
    await this.#d.observer.finished({
      tenantId: execution.tenantId,
      executionId: execution.id,
      agentId: execution.agentId,
      model: agent?.model.name ?? 'unknown',
      status: 'cancelled',
      inputTokens: execution.inputTokens,
      outputTokens: execution.outputTokens,
      stepCount: execution.stepCount,
    });
  }

  async decide(principal: Principal, id: string, body: { decision: 'approve' | 'reject'; comment?: string }): Promise<ExecutionView> {
    const before = await this.#d.repo.find(principal.tenantId, id);
    if (!before) throw notFound(id);
    const approved = body.decision === 'approve';
    const taken = await this.#d.repo.decide(principal.tenantId, id, {
      approved,
      decidedBy: principal.userId,
      ...(body.comment !== undefined && { comment: body.comment }),
    });
    if (!taken) throw new ConflictError(`Execution ${id} is ${before.status}, not waiting for approval`);
    const more = (await this.#d.repo.undecidedCalls(id, this.#d.needsApproval)).length > 0;
    if (!(await this.#d.orchestrator.resume(taken.token, { toolCallId: taken.call.toolCallId, approved, more }))) {
      throw new ConflictError(`Execution ${id} stopped before the decision arrived`);
    }
    return toView((await this.#d.repo.find(principal.tenantId, id))!);
  }
}
