/**
 * The runner's promise to the agent loop: every tool call ends in a result the model can read, whatever
 * the model sent or the tool did, and the catalog hands each provider a schema it accepts.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBuiltinTools } from '#functions/agents/tools/builtin-tools.ts';
import { ToolNotFoundError } from '#functions/agents/tools/tool.errors.ts';
import { createToolRunner } from '#functions/agents/tools/tool.runner.ts';
import { defineTool } from '#functions/agents/tools/tool.types.ts';
import { requestApprovalTool } from '#functions/agents/tools/request-approval.tool.ts';
import { call, context } from './tool-fixtures.ts';

const echo = defineTool({
  name: 'echo',
  description: 'Returns what it is given',
  input: z.object({ text: z.string(), times: z.number().int().min(1).max(3).default(1), nested: z.object({ flag: z.boolean() }).optional() }),
  run: async ({ text, times }) => ({ echoed: text.repeat(times), at: new Date(0), dropped: undefined }),
});
const boom = defineTool({
  name: 'boom',
  description: 'Always throws',
  input: z.object({}),
  run: async () => {
    throw new Error('disk on fire');
  },
});
const boomSync = defineTool({
  name: 'boom_sync',
  description: 'Throws before returning a promise',
  input: z.object({}),
  run: (() => {
    throw new TypeError('synchronous failure');
  }) as () => Promise<unknown>,
});
const missing = defineTool({
  name: 'missing',
  description: 'Reports a domain failure',
  input: z.object({}),
  run: async () => {
    throw new ToolNotFoundError('no such thing');
  },
});
const hang = defineTool({
  name: 'hang',
  description: 'Never finishes and ignores its signal',
  input: z.object({}),
  timeoutMs: 50,
  run: () => new Promise<never>(() => undefined),
});
const bigint = defineTool({ name: 'bigint', description: 'Returns something JSON cannot hold', input: z.object({}), run: async () => ({ n: 1n }) });

const runner = createToolRunner([echo, boom, boomSync, missing, hang, bigint, requestApprovalTool]);

describe('runToolCall', () => {
  it('runs a tool and returns its output as JSON, with its size', async () => {
    const result = await runner.runToolCall(call('echo', { text: 'ab', times: 2 }), context());
    expect(result).toMatchObject({ ok: true, output: { echoed: 'abab', at: '1970-01-01T00:00:00.000Z' } });
    if (!result.ok) throw new Error('expected ok');
    expect(result.output).not.toHaveProperty('dropped');
    expect(result.outputBytes).toBe(Buffer.byteLength(JSON.stringify(result.output)));
  });

  it('answers an unknown tool with the list of tools the model may use', async () => {
    const result = await runner.runToolCall(call('rm_rf', {}), context({ allowedTools: ['echo', 'hang'] }));
    expect(result).toMatchObject({ ok: false, error: { type: 'unknown_tool' } });
    if (result.ok) throw new Error('expected error');
    expect(result.error.message).toContain('rm_rf');
    expect(result.error.message).toContain('echo, hang');
  });

  it("treats a tool outside the agent's tool list as unknown", async () => {
    const result = await runner.runToolCall(call('boom', {}), context({ allowedTools: ['echo'] }));
    expect(result).toMatchObject({ ok: false, error: { type: 'unknown_tool' } });
  });

  it('turns arguments that were not JSON into an error result', async () => {
    const result = await runner.runToolCall(
      { id: 'c1', name: 'echo', arguments: '{"text": "a"', parseError: 'arguments are not valid JSON: Unexpected end' },
      context(),
    );
    expect(result).toMatchObject({ ok: false, error: { type: 'invalid_arguments' } });
    if (result.ok) throw new Error('expected error');
    expect(result.error.message).toContain('Unexpected end');
  });

  it('names each field that fails the schema', async () => {
    const result = await runner.runToolCall(call('echo', { text: 42, times: 9, nested: { flag: 'yes' } }), context());
    if (result.ok) throw new Error('expected error');
    expect(result.error.type).toBe('invalid_arguments');
    expect(result.error.fields?.map((f) => f.path)).toEqual(['text', 'times', 'nested.flag']);
    expect(result.error.message).toMatch(/text: .*expected string/);
    expect(result.error.message).toMatch(/nested\.flag: /);
  });

  it('turns a tool that throws into an error result carrying its message', async () => {
    const result = await runner.runToolCall(call('boom', {}), context());
    expect(result).toMatchObject({ ok: false, error: { type: 'tool_failed', message: 'boom failed: disk on fire' } });
    const sync = await runner.runToolCall(call('boom_sync', {}), context());
    expect(sync).toMatchObject({ ok: false, error: { type: 'tool_failed', message: 'boom_sync failed: synchronous failure' } });
  });

  it("keeps a tool error's own type", async () => {
    const result = await runner.runToolCall(call('missing', {}), context());
    expect(result).toMatchObject({ ok: false, error: { type: 'not_found', message: 'no such thing' } });
  });

  it('gives up on a tool that exceeds its timeout', async () => {
    const result = await runner.runToolCall(call('hang', {}), context());
    expect(result).toMatchObject({ ok: false, error: { type: 'timeout' } });
  });

  it('stops waiting when the execution is stopped', async () => {
    const slow = createToolRunner([{ ...hang, timeoutMs: 60_000 }]);
    const controller = new AbortController();
    const pending = slow.runToolCall(call('hang', {}), context({ signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, error: { type: 'aborted' } });
    expect(await slow.runToolCall(call('hang', {}), context({ signal: controller.signal }))).toMatchObject({ ok: false, error: { type: 'aborted' } });
  });

  it("tells the task's deadline (a timeout signal) from a stopped execution", async () => {
    const slow = createToolRunner([{ ...hang, timeoutMs: 60_000 }]);
    const result = await slow.runToolCall(call('hang', {}), context({ signal: AbortSignal.timeout(20) }));
    expect(result).toMatchObject({ ok: false, error: { type: 'timeout', message: 'hang did not finish before the task ran out of time.' } });
  });

  it('reports output that is not JSON instead of throwing', async () => {
    const result = await runner.runToolCall(call('bigint', {}), context());
    expect(result).toMatchObject({ ok: false, error: { type: 'invalid_output' } });
  });
});

describe('request_approval', () => {
  const args = { action: 'Delete the staging database' };

  it('does not run without a decision for this very call', async () => {
    const first = call('request_approval', args, 'call_a');
    expect(await runner.runToolCall(first, context())).toMatchObject({ ok: false, error: { type: 'approval_required' } });
    const otherDecision = { toolCallId: 'call_b', approved: true, decidedBy: 'usr_1' };
    expect(await runner.runToolCall(first, context({ approval: otherDecision }))).toMatchObject({ ok: false, error: { type: 'approval_required' } });
  });

  it("returns the human's decision, approved or rejected, as the output", async () => {
    const approved = await runner.runToolCall(
      call('request_approval', args, 'c1'),
      context({ approval: { toolCallId: 'c1', approved: true, decidedBy: 'usr_1' } }),
    );
    expect(approved).toMatchObject({ ok: true, output: { approved: true, decision: 'approved', decidedBy: 'usr_1', comment: null } });
    const rejected = await runner.runToolCall(
      call('request_approval', args, 'c2'),
      context({ approval: { toolCallId: 'c2', approved: false, decidedBy: 'usr_2', comment: 'not on a Friday' } }),
    );
    expect(rejected).toMatchObject({ ok: true, output: { approved: false, decision: 'rejected', comment: 'not on a Friday' } });
  });
});

describe('the catalog', () => {
  const builtins = createToolRunner(createBuiltinTools({ http: { allowedHosts: [] } }));

  it('lists the built-in tools, only request_approval needing approval', () => {
    const tools = builtins.listTools();
    expect(tools.map((t) => t.name)).toEqual(['calculator', 'http_request', 'read_file', 'write_file', 'list_files', 'request_approval']);
    expect(tools.filter((t) => t.needsApproval).map((t) => t.name)).toEqual(['request_approval']);
    expect(tools.find((t) => t.name === 'http_request')?.description).toContain('disabled');
  });

  it('describes arguments as a plain object schema without $schema', () => {
    for (const tool of builtins.listTools()) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.inputSchema).toHaveProperty('properties');
      expect(JSON.stringify(tool.inputSchema)).not.toContain('$schema');
      expect(tool.inputSchema).not.toHaveProperty('anyOf');
    }
    const calculator = builtins.listTools().find((t) => t.name === 'calculator');
    expect(calculator?.inputSchema).toMatchObject({ properties: { expression: { type: 'string' } }, required: ['expression'] });
    // A field with a default is optional to the model.
    const echoSchema = runner.listTools().find((t) => t.name === 'echo')?.inputSchema;
    expect(echoSchema?.required).toEqual(['text']);
    expect(JSON.stringify(echoSchema)).not.toContain('9007199254740991');
  });

  it('hands the model definitions for the named tools only', () => {
    expect(builtins.definitions(['calculator', 'nope']).map((d) => d.name)).toEqual(['calculator']);
    expect(builtins.definitions()).toHaveLength(6);
  });

  it('refuses two tools with one name, and names providers reject', () => {
    expect(() => createToolRunner([echo, echo])).toThrow(/two tools/);
    expect(() => createToolRunner([{ ...echo, name: 'has space' }])).toThrow(/must match/);
  });
});
