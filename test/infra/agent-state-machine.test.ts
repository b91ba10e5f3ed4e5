/**
 * The agent state machine: its definition is valid ASL, every Task maps to a manifest function, and the
 * stack deploys the very file the local interpreter runs (DefinitionBody.fromFile, with substitutions for
 * exactly the task functions). The stack's own construct is synthesized in a bare stack with stand-in
 * functions: no bundling, so this stays fast and adds no third full synthesis.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { pascalName } from '#shared/manifest.types.ts';
import { DomainStateMachines } from '../../lib/constructs/state-machines.construct.ts';
import type { DomainFunctions } from '../../lib/constructs/functions.construct.ts';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';
import { manifest } from './synth.ts';

type Validator = (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => { isValid: boolean; errors: unknown[] };
const validate = createRequire(import.meta.url)('asl-validator') as Validator;

const spec = manifest.stateMachines.find((m) => m.name === 'agent')!;
const file = path.join(PROJECT_ROOT, spec.definition);
const text = readFileSync(file, 'utf8');
const placeholders = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];

const allStates = (states: Record<string, any>): Array<[string, any]> =>
  Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, any],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor.States) : []),
  ]);

describe('agent state machine definition', () => {
  it('is valid ASL (JSONPath) once the task ARNs are substituted', () => {
    const substituted = text.replace(/\$\{(\w+)\}/g, (_, name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`);
    const definition = JSON.parse(substituted);
    const result = validate(definition, { checkArn: true, checkPaths: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('maps every Task state to a manifest function, and every placeholder to a task function', () => {
    const tasks = allStates(JSON.parse(text).States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name);
    expect(Object.keys(spec.tasks).sort()).toEqual(tasks.sort());
    const systemNames = new Set(manifest.systemFunctions.map((f) => f.name));
    for (const fn of Object.values(spec.tasks)) expect(systemNames).toContain(fn);
    expect(placeholders.sort()).toEqual([...new Set(Object.values(spec.tasks))].map((n) => `${pascalName(n)}FunctionArn`).sort());
  });

  it('retries the retryable model errors on the model call and catches everything into MarkFailed', () => {
    const states = JSON.parse(text).States;
    expect(states.CallModel.Retry[0].ErrorEquals).toEqual(['ModelThrottledError', 'ModelUnavailableError']);
    // A call that ran out of time without an answer is tried once more (each try may take the task's whole time);
    // an answer too long for that time (ModelOutputTooLongError) would be cut off again, so it is never retried.
    const retriers = states.CallModel.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number }>;
    expect(retriers.find((r) => r.ErrorEquals.includes('ModelTimeoutError'))?.MaxAttempts).toBe(1);
    expect(retriers.flatMap((r) => r.ErrorEquals)).not.toContain('ModelOutputTooLongError');
    expect(retriers.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
    for (const name of ['Prepare', 'CallModel', 'WaitForApproval', 'RunTools'])
      expect(states[name].Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'MarkFailed' });
    expect(states.RunTools.MaxConcurrency).toBeGreaterThan(0);
  });

  it('retries a database that went away (DatabaseUnavailableError) on every task, and MarkFailed the longest', () => {
    const states = JSON.parse(text).States;
    const retrierOf = (state: { Retry: Array<{ ErrorEquals: string[]; MaxAttempts: number }> }) =>
      state.Retry.find((r) => r.ErrorEquals.includes('DatabaseUnavailableError'));
    const tasks = [states.Prepare, states.CallModel, states.WaitForApproval, states.RunTools.ItemProcessor.States.RunTool];
    for (const task of tasks) expect(retrierOf(task)?.MaxAttempts).toBeGreaterThanOrEqual(3);
    // The record must not stay `running` because the one task that marks it failed met the outage too.
    expect(retrierOf(states.MarkFailed)?.MaxAttempts).toBeGreaterThan(Math.max(...tasks.map((t) => retrierOf(t)!.MaxAttempts)));
  });
});

describe('the deployed definition', () => {
  it('is the same file, with substitutions for the task functions only', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'mls-agent-sm-'));
    onTestFinished(() => rmSync(outdir, { recursive: true, force: true }));
    const app = new App({ outdir });
    const stack = new Stack(app, 'AgentMachineTest', { env: { account: '123456789012', region: 'us-east-1' } });
    const fns = new Map<string, lambda.Function>();
    const functions = {
      // The stack invokes live aliases (`invokable`); plain functions stand in for them here.
      invokable: (name: string) => functions.get(name),
      get: (name: string) => {
        let fn = fns.get(name);
        if (!fn) {
          fn = new lambda.Function(stack, `Fn${pascalName(name)}`, {
            code: lambda.Code.fromInline('exports.handler = async () => null'),
            handler: 'index.handler',
            runtime: lambda.Runtime.NODEJS_24_X,
          });
          fns.set(name, fn);
        }
        return fn;
      },
    } as unknown as DomainFunctions;
    new DomainStateMachines(stack, 'StateMachines', {
      specs: [spec],
      functions,
      projectRoot: PROJECT_ROOT,
      stateMachineName: (n) => `mls-test-${n}`,
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const machines = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine')) as Array<{
      Properties: Record<string, any>;
    }>;
    expect(machines).toHaveLength(1);
    const props = machines[0]!.Properties;
    // fromFile uploads the file as an asset: the deployed definition is that asset, byte for byte.
    const assembly = app.synth();
    const key = String(props.DefinitionS3Location.Key);
    expect(readFileSync(path.join(assembly.directory, `asset.${key}`), 'utf8')).toBe(text);
    const logicalIdOf = (name: string) => stack.getLogicalId(fns.get(name)!.node.defaultChild as lambda.CfnFunction);
    expect(props.DefinitionSubstitutions).toEqual(
      Object.fromEntries(Object.values(spec.tasks).map((n) => [`${pascalName(n)}FunctionArn`, { 'Fn::GetAtt': [logicalIdOf(n), 'Arn'] }])),
    );
  });
});
