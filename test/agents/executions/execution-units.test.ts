/**
 * The executions store's units of work on real PostgreSQL (`PgExecutionRepository.whileActive`): how a cancel
 * and the writes of tasks still under way are ordered. The event that ends a run is its last, whatever races
 * with it; a unit on an ended run writes nothing; a unit that fails half way leaves nothing of itself; live
 * subscribers are told only what was committed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgExecutionRepository } from '#functions/agents/executions/execution.repository.ts';
import { newExecutionId } from '#functions/agents/executions/execution.ts';
import type { ChannelEvent, EventFanout } from '#shared/channel-events.ts';
import { ChannelEventStore } from '#shared/channel-events.ts';
import { createTestDatabase, type TestDatabase } from '../../functions/helpers/database.ts';

let db: TestDatabase;
let pool: pg.Pool;
const pushed: ChannelEvent[] = [];
const fanout: EventFanout = { fanOut: async (_tenantId, events) => void pushed.push(...events) };
let repo: PgExecutionRepository;
let log: ChannelEventStore;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 12 });
  await db.query(`INSERT INTO tenants (id, name) VALUES ('ta', 'A') ON CONFLICT DO NOTHING`);
  const model = JSON.stringify({ provider: 'openai', name: 'gpt-test' });
  await db.query(
    `INSERT INTO agents (id, tenant_id, name, system_prompt, model, tools, max_steps, version) VALUES ('agt_units', 'ta', 'a', '', $1, '{}', 10, 1)`,
    [model],
  );
  await db.query(
    `INSERT INTO agent_versions (agent_id, version, name, system_prompt, model, tools, max_steps) VALUES ('agt_units', 1, 'a', '', $1, '{}', 10)`,
    [model],
  );
  repo = new PgExecutionRepository(pool, fanout);
  log = new ChannelEventStore(pool);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const newRun = async (): Promise<string> => {
  const { execution } = await repo.create({
    id: newExecutionId(),
    tenantId: 'ta',
    agentId: 'agt_units',
    agentVersion: 1,
    input: { text: 'hi' },
    createdBy: 'user-test',
    idempotencyKey: undefined,
  });
  await repo.whileActive('ta', execution.id, (w) => w.markRunning());
  return execution.id;
};

const cancel = (id: string) =>
  repo.whileActive('ta', id, async (w) => {
    await w.finish('cancelled', {});
    await w.emit([{ kind: 'execution.cancelled', data: { by: 'user-test' } }]);
    return true;
  });

const modelStep = {
  provider: 'openai',
  model: 'gpt-test',
  input: {},
  output: { text: 'late' },
  error: null,
  inputTokens: 7,
  outputTokens: 5,
  latencyMs: 1,
  startedAt: new Date(),
};

describe('whileActive', () => {
  it('orders a cancel among concurrent writers: its event is the last, every later unit writes nothing', async () => {
    const id = await newRun();
    const writers = Array.from({ length: 40 }, (_, i) =>
      repo.whileActive('ta', id, (w) => w.emit([{ kind: 'execution.token', data: { text: `t${i}` } }]).then(() => i)),
    );
    const cancelled = cancel(id);
    const turns = Array.from({ length: 10 }, () =>
      repo.whileActive('ta', id, async (w) => {
        await w.recordModelTurn(modelStep, { text: 'late', toolCalls: [] }, []);
        await w.emit([{ kind: 'execution.step', data: {} }]);
        return true;
      }),
    );
    const [wrote, ended, recorded] = [await Promise.all(writers), await cancelled, await Promise.all(turns)];

    expect(ended).toBe(true);
    const events = await log.listAfter('ta', `execution:${id}`, 0, 1000);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.kind).toBe('execution.cancelled');
    expect(events.filter((e) => e.kind === 'execution.cancelled')).toHaveLength(1);
    // A unit either committed before the cancel (its event is in the log) or wrote nothing at all.
    const stored = new Set(events.filter((e) => e.kind === 'execution.token').map((e) => (e.data as { text: string }).text));
    for (const [i, result] of wrote.entries()) expect(stored.has(`t${i}`)).toBe(result === i);
    const turnsStored = events.filter((e) => e.kind === 'execution.step').length;
    expect(recorded.filter((r) => r === true)).toHaveLength(turnsStored);
    const steps = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM execution_steps WHERE execution_id = $1', [id]);
    const row = (await repo.find('ta', id))!;
    expect(steps[0]!.n).toBe(turnsStored);
    expect(row).toMatchObject({ status: 'cancelled', stepCount: turnsStored, outputTokens: 5 * turnsStored });
    expect(await repo.stopRequested(id)).toBe(true);
  });

  it('runs nothing on an ended run and answers undefined', async () => {
    const id = await newRun();
    await cancel(id);
    let ran = false;
    const result = await repo.whileActive('ta', id, async (w) => {
      ran = true;
      await w.recordFailedModelStep(modelStep);
    });
    expect(result).toBeUndefined();
    expect(ran).toBe(false);
    expect(await db.query('SELECT 1 FROM execution_steps WHERE execution_id = $1', [id])).toEqual([]);
    expect((await log.listAfter('ta', `execution:${id}`, 0, 10)).map((e) => e.kind)).toEqual(['execution.cancelled']);
  });

  it("refuses another tenant's run like a missing one", async () => {
    const id = await newRun();
    expect(await repo.whileActive('tb', id, async () => true)).toBeUndefined();
    expect(await repo.whileActive('ta', 'exe_missing', async () => true)).toBeUndefined();
  });

  it('leaves nothing of a unit that fails half way, and pushes only committed events', async () => {
    const id = await newRun();
    pushed.length = 0;
    await expect(
      repo.whileActive('ta', id, async (w) => {
        await w.recordModelTurn(modelStep, { text: 'x', toolCalls: [] }, []);
        await w.emit([{ kind: 'execution.step', data: {} }]);
        await w.finish('succeeded', { output: { text: 'x' } });
        throw new Error('the connection dropped');
      }),
    ).rejects.toThrow('the connection dropped');
    expect(await repo.find('ta', id)).toMatchObject({ status: 'running', stepCount: 0, output: null });
    expect(await log.listAfter('ta', `execution:${id}`, 0, 10)).toEqual([]);
    expect(pushed).toEqual([]);
    expect(await repo.stopRequested(id)).toBe(false);

    await repo.whileActive('ta', id, (w) => w.emit([{ kind: 'execution.token', data: { text: 'ok' } }]));
    expect(pushed.map((e) => [e.channel, e.seq, e.kind])).toEqual([[`execution:${id}`, 1, 'execution.token']]);
  });
});

// Token batches take this one-statement path (no BEGIN/COMMIT of their own): it must keep whileActive's guarantees.
describe('emitWhileActive', () => {
  it('orders a cancel among concurrent token batches: its event is the last, later batches store and push nothing', async () => {
    const id = await newRun();
    pushed.length = 0;
    const batches = Array.from({ length: 40 }, (_, i) => repo.emitWhileActive('ta', id, [{ kind: 'execution.token', data: { text: `t${i}` } }]));
    const cancelled = cancel(id);
    const late = Array.from({ length: 10 }, (_, i) => repo.emitWhileActive('ta', id, [{ kind: 'execution.token', data: { text: `late${i}` } }]));
    const [wrote, ended] = [await Promise.all(batches), await cancelled];
    const lateWrote = await Promise.all(late);

    expect(ended).toBe(true);
    const events = await log.listAfter('ta', `execution:${id}`, 0, 1000);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.kind).toBe('execution.cancelled');
    const stored = new Set(events.filter((e) => e.kind === 'execution.token').map((e) => (e.data as { text: string }).text));
    for (const [i, result] of wrote.entries()) expect(stored.has(`t${i}`)).toBe(result);
    for (const [i, result] of lateWrote.entries()) expect(stored.has(`late${i}`)).toBe(result);
    // What was stored is exactly what was pushed live, and nothing else (concurrent batches may push in any order).
    const pushedTokens = pushed.filter((e) => e.channel === `execution:${id}` && e.kind === 'execution.token');
    expect(pushedTokens.map((e) => e.seq).sort((a, b) => a - b)).toEqual(events.filter((e) => e.kind === 'execution.token').map((e) => e.seq));
  });

  it('stores several events of one batch under consecutive seqs, after the run’s earlier events', async () => {
    const id = await newRun();
    await repo.whileActive('ta', id, (w) => w.emit([{ kind: 'execution.started', data: {} }]));
    expect(
      await repo.emitWhileActive('ta', id, [
        { kind: 'execution.token', data: { text: 'a' } },
        { kind: 'execution.token', data: { text: 'b' } },
      ]),
    ).toBe(true);
    const events = await log.listAfter('ta', `execution:${id}`, 0, 10);
    expect(events.map((e) => [e.seq, e.kind, (e.data as { text?: string }).text])).toEqual([
      [1, 'execution.started', undefined],
      [2, 'execution.token', 'a'],
      [3, 'execution.token', 'b'],
    ]);
  });

  it("stores nothing on an ended run, another tenant's or a missing one", async () => {
    const id = await newRun();
    expect(await repo.emitWhileActive('tb', id, [{ kind: 'execution.token', data: { text: 'x' } }])).toBe(false);
    expect(await repo.emitWhileActive('ta', 'exe_missing', [{ kind: 'execution.token', data: { text: 'x' } }])).toBe(false);
    await cancel(id);
    expect(await repo.emitWhileActive('ta', id, [{ kind: 'execution.token', data: { text: 'x' } }])).toBe(false);
    expect((await log.listAfter('ta', `execution:${id}`, 0, 10)).map((e) => e.kind)).toEqual(['execution.cancelled']);
    expect(await log.head('execution:exe_missing')).toBe(0);
  });
});
