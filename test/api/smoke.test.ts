/**
 * `npm run smoke` against the local runtime, so the script a deploy runbook relies on (docs/deploy.md) cannot
 * rot: the same checks it runs against a deployed stage (health, auth, upload, download, a WebSocket
 * subscription, an agent run followed live), here with the scripted model server as the provider.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';
import { runSmoke } from '../../scripts/smoke.ts';
import { startScriptedModelServer, type ScriptedModelServer } from '../model-server/scripted-model-server.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime;
let models: ScriptedModelServer;
beforeAll(async () => {
  models = await startScriptedModelServer();
  models.setDefault({ text: 'Hello from the smoke test.' });
  rt = await startTestRuntime({ env: { OPENAI_BASE_URL: models.openaiBaseURL, OPENAI_API_KEY: 'test-openai-key' } });
});
afterAll(async () => {
  await rt?.stop();
  await models?.close();
});

describe('npm run smoke', () => {
  it('passes every check against a working stage, and follows the agent run over the WebSocket', async () => {
    const lines: string[] = [];
    const result = await runSmoke({
      url: rt.restUrl,
      ws: rt.wsUrl,
      key: rt.apiKey,
      model: { provider: 'openai', name: 'gpt-4o-mini' },
      log: (line) => lines.push(line),
    });
    expect(result.checks.map((c) => [c.name, c.status])).toEqual([
      ['health', 'passed'],
      ['auth', 'passed'],
      ['upload', 'passed'],
      ['download', 'passed'],
      ['websocket', 'passed'],
      ['agent-run', 'passed'],
    ]);
    expect(result.ok).toBe(true);
    expect(result.checks.find((c) => c.name === 'agent-run')!.detail).toMatch(/Hello from the smoke test.*followed live/);
    // The model server saw the run's call, bounded as the script asks.
    expect(models.requests.some((r) => r.body?.max_completion_tokens === 64)).toBe(true);
    expect(lines).toHaveLength(6);
  });

  it('fails the auth check with a key the stage does not know, and skips what needs one', async () => {
    const result = await runSmoke({ url: rt.restUrl, ws: rt.wsUrl, key: 'mls_not-a-real-key', model: { provider: 'openai', name: 'gpt-4o-mini' } });
    expect(result.ok).toBe(false);
    expect(result.checks.find((c) => c.name === 'health')!.status).toBe('passed');
    expect(result.checks.find((c) => c.name === 'auth')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/HTTP 401/) });
    expect(result.checks.filter((c) => c.status === 'skipped').map((c) => c.name)).toEqual(['upload', 'download', 'websocket', 'agent-run']);
  });

  it('fails the agent run when the stage cannot answer (a provider error), naming why', async () => {
    models.script([{ status: 401, message: 'Incorrect API key provided' }]);
    const result = await runSmoke({ url: rt.restUrl, key: rt.apiKey, model: { provider: 'openai', name: 'gpt-4o-mini' } });
    expect(result.checks.find((c) => c.name === 'agent-run')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/failed.*Incorrect API key/),
    });
    expect(result.checks.find((c) => c.name === 'websocket')).toMatchObject({ status: 'skipped', detail: 'no --ws URL given' });
    expect(result.ok).toBe(false);
  });

  it('as a command: skips the agent run without --model (or fails it with --require-agent), data on stdout, progress on stderr', async () => {
    const run = promisify(execFile);
    const args = [path.join(PROJECT_ROOT, 'scripts/smoke.ts'), '--url', rt.restUrl, '--ws', rt.wsUrl, '--key', rt.apiKey, '--json'];
    const { stdout, stderr } = await run(process.execPath, args, { cwd: PROJECT_ROOT });
    const result = JSON.parse(stdout);
    expect(result.ok).toBe(true);
    expect(result.checks.find((c: { name: string }) => c.name === 'agent-run')).toMatchObject({ status: 'skipped' });
    expect(stderr).toMatch(/✓ health/);

    const required = await run(process.execPath, [...args, '--require-agent'], { cwd: PROJECT_ROOT }).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect((required as { code: number }).code).toBe(1);
    expect(JSON.parse((required as { stdout: string }).stdout).checks.find((c: { name: string }) => c.name === 'agent-run').status).toBe('failed');
    expect(JSON.stringify(JSON.parse((required as { stdout: string }).stdout))).not.toContain(rt.apiKey);
  });
});
