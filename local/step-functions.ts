/**
 * A StepFunctions-compatible endpoint (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Op>`) so that
 * `@aws-sdk/client-sfn` works unchanged. Executions run in process on `aws-local-stepfunctions`, from the
 * same ASL file the stack deploys; Task states are mapped by state name to the manifest's handlers.
 *
 * Task resource forms understood (what the stack's ASL files use):
 * - `${XFunctionArn}` (direct Lambda ARN): the task's output is the handler's raw return value.
 * - `arn:aws:states:::lambda:invoke` with `Parameters: { FunctionName, Payload }`: output `{ Payload, StatusCode }`.
 * - `arn:aws:states:::lambda:invoke.waitForTaskToken`: the handler gets `Payload` with `$$.Task.Token`
 *   resolved to a fresh token; the task then waits for SendTaskSuccess / SendTaskFailure with that token.
 *   The interpreter has no task tokens of its own, so the context object carries a placeholder that the
 *   local task handler swaps for a real token before invoking the function.
 * Executions live in memory: they do not survive a restart of the runtime.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import type { FunctionSpec, StateMachineSpec } from '#shared/manifest.types.ts';
import { readBody } from './http-util.ts';
import { ACCOUNT_ID, REPO_ROOT, type LocalLambdas } from './lambda.ts';

const TOKEN_PLACEHOLDER = '__MLS_LOCAL_TASK_TOKEN__';
/** setTimeout's ceiling (~24.8 days): AWS's task default (99999999 s) would overflow it. */
const MAX_TIMEOUT_SECONDS = 2_147_483;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface HistoryEvent {
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: Status;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  abort: () => void;
}

interface PendingTask {
  executionArn: string;
  resolve: (output: Json) => void;
  reject: (error: Error) => void;
}

class SfnError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/** An error whose name is the Step Functions error name, so Retry/Catch `ErrorEquals` match on it. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface StepFunctionsOptions {
  stateMachines: StateMachineSpec[];
  functions: FunctionSpec[];
  lambdas: LocalLambdas;
  region: string;
  stage: string;
  log: (line: string) => void;
}

export const stateMachineArn = (region: string, stage: string, name: string): string =>
  `arn:aws:states:${region}:${ACCOUNT_ID}:stateMachine:${stage}-${name}`;

/**
 * The interpreter (with asl-validator and ajv inside) takes about a second to import and seconds more to
 * validate a definition, so neither is on the startup path: a definition that passed validation once is
 * remembered by its content (and the interpreter's version) under node_modules/.cache, and the interpreter
 * is imported when the first execution starts. A new or edited definition is still validated at startup,
 * so a broken ASL file keeps failing `npm start` with the validator's message.
 */
let interpreter: Promise<typeof import('aws-local-stepfunctions')> | undefined;
const loadInterpreter = () => (interpreter ??= import('aws-local-stepfunctions'));
const VALIDATED_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'mls', 'asl-validated');

async function validationKey(text: string): Promise<string> {
  const pkg = path.join(REPO_ROOT, 'node_modules', 'aws-local-stepfunctions', 'package.json');
  const version = await readFile(pkg, 'utf8').then(
    (t) => String((JSON.parse(t) as { version?: string }).version),
    () => 'unknown',
  );
  return createHash('sha256').update(`${version}\n${text}`).digest('hex');
}

const alreadyValidated = (key: string): Promise<boolean> =>
  stat(path.join(VALIDATED_DIR, key)).then(
    () => true,
    () => false,
  );

async function rememberValidated(key: string): Promise<void> {
  // Only a cache: a read-only checkout validates again next time.
  await mkdir(VALIDATED_DIR, { recursive: true })
    .then(() => writeFile(path.join(VALIDATED_DIR, key), ''))
    .catch(() => undefined);
}

const pascal = (name: string): string => name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());

export async function createStepFunctions(options: StepFunctionsOptions): Promise<{ server: Server; close: () => Promise<void> }> {
  const { lambdas, region, stage, log } = options;
  const byName = new Map(options.functions.map((f) => [f.name, f]));
  const machines = new Map<
    string,
    {
      spec: StateMachineSpec;
      /** Built on first use (see loadInterpreter). */
      machine: () => Promise<StateMachine>;
      definition: StateMachineDefinition;
      handlers: Record<string, (input: Json, executionArn: string) => Promise<Json>>;
    }
  >();
  const executions = new Map<string, Execution>();
  const tasks = new Map<string, PendingTask>();

  for (const spec of options.stateMachines) {
    let text = await readFile(path.resolve(REPO_ROOT, spec.definition), 'utf8');
    // The stack's definitionSubstitutions, with the ARNs the local Lambda service answers to.
    for (const fn of byName.values()) text = text.replaceAll(`\${${pascal(fn.name)}FunctionArn}`, lambdas.functionArn(fn));
    const definition = JSON.parse(text) as StateMachineDefinition;
    const handlers: Record<string, (input: Json, executionArn: string) => Promise<Json>> = {};
    for (const [stateName, fnName] of Object.entries(spec.tasks)) {
      const fn = byName.get(fnName);
      const state = findState(definition, stateName);
      if (!fn) throw new Error(`state machine ${spec.name}: task ${stateName} maps to unknown function ${fnName}`);
      if (!state) throw new Error(`state machine ${spec.name}: no Task state named ${stateName} in ${spec.definition}`);
      const resource = String(state.Resource ?? '');
      const waitForToken = resource.endsWith('.waitForTaskToken');
      const integrated = resource.startsWith('arn:aws:states:::lambda:invoke');
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        // The interpreter's default is 60 s; AWS waits for the Lambda's own timeout (or a token) instead.
        state.TimeoutSeconds = waitForToken ? MAX_TIMEOUT_SECONDS : (fn.timeoutSeconds ?? 900);
      }
      handlers[stateName] = async (input: Json, executionArn: string) => {
        if (!waitForToken) {
          const payload = integrated ? ((input as { Payload?: Json })?.Payload ?? null) : input;
          const result = await invokeTask(fn, payload);
          return integrated ? { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' } : result;
        }
        const token = randomBytes(48).toString('base64url');
        const payload = JSON.parse(JSON.stringify((input as { Payload?: Json })?.Payload ?? null).replaceAll(TOKEN_PLACEHOLDER, token)) as Json;
        const done = new Promise<Json>((resolve, reject) => tasks.set(token, { executionArn, resolve, reject }));
        invokeTask(fn, payload).catch((error: unknown) => tasks.get(token)?.reject(error as Error));
        try {
          return await done;
        } finally {
          tasks.delete(token);
        }
      };
    }
    const key = await validationKey(JSON.stringify(definition));
    let built: Promise<StateMachine> | undefined;
    if (!(await alreadyValidated(key))) {
      // Throws here, at startup, when the definition is invalid.
      const { StateMachine } = await loadInterpreter();
      built = Promise.resolve(new StateMachine(definition, { validationOptions: { checkArn: false } }));
      await rememberValidated(key);
    }
    const machine = () =>
      (built ??= loadInterpreter().then(({ StateMachine }) => new StateMachine(definition, { validationOptions: { noValidate: true } })));
    machines.set(stateMachineArn(region, stage, spec.name), { spec, machine, definition, handlers });
  }

  async function invokeTask(fn: FunctionSpec, payload: Json): Promise<Json> {
    try {
      return ((await lambdas.invoke(fn, payload)) ?? null) as Json;
    } catch (error) {
      const e = error as Error;
      // What the Lambda service reports: errorType is the error's name, Cause the JSON error object.
      throw new TaskError(e?.name ?? 'Error', JSON.stringify({ errorMessage: e?.message ?? String(error), errorType: e?.name ?? 'Error' }));
    }
  }

  const describe = (e: Execution) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    ...(e.stopDate !== undefined && { stopDate: e.stopDate }),
    input: e.input,
    inputDetails: { included: true },
    ...(e.output !== undefined && { output: e.output, outputDetails: { included: true } }),
    ...(e.error !== undefined && { error: e.error }),
    ...(e.cause !== undefined && { cause: e.cause }),
  });

  async function startExecution(body: { stateMachineArn?: string; name?: string; input?: string }) {
    const entry = machines.get(body.stateMachineArn ?? '');
    if (!entry) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    // Before any check of this execution: from here on nothing awaits, so two starts of one name cannot interleave.
    const machine = await entry.machine();
    const { ExecutionAbortedError } = await loadInterpreter();
    const name = body.name ?? randomUUID();
    if (!/^[\w-]{1,80}$/.test(name)) throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
    const arnName = body.stateMachineArn!.split(':').pop()!;
    const executionArn = `arn:aws:states:${region}:${ACCOUNT_ID}:execution:${arnName}:${name}`;
    const inputText = body.input ?? '{}';
    const existing = executions.get(executionArn);
    if (existing) {
      // Same name and input while running: idempotent, as in AWS.
      if (existing.status === 'RUNNING' && existing.input === inputText) return { executionArn, startDate: existing.startDate };
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let input: Json;
    try {
      input = JSON.parse(inputText) as Json;
    } catch {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not valid JSON');
    }
    const startDate = Date.now() / 1000;
    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/local`,
        StartTime: new Date(startDate * 1000).toISOString(),
      },
      StateMachine: { Id: body.stateMachineArn, Name: arnName },
      Task: { Token: TOKEN_PLACEHOLDER },
    };
    // Task tokens are tied to their execution (StopExecution drops them).
    const handlers = Object.fromEntries(Object.entries(entry.handlers).map(([state, h]) => [state, (i: Json) => h(i, executionArn)]));
    const run = machine.run(input, { overrides: { taskResourceLocalHandlers: handlers }, context });
    const execution: Execution = {
      executionArn,
      stateMachineArn: body.stateMachineArn!,
      name,
      status: 'RUNNING',
      startDate,
      input: inputText,
      history: [],
      abort: run.abort,
    };
    executions.set(executionArn, execution);
    void recordHistory(execution, run.eventLogs);
    run.result.then(
      (output) => {
        if (execution.status !== 'RUNNING') return;
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
        execution.stopDate = Date.now() / 1000;
      },
      (error: unknown) => {
        if (execution.status !== 'RUNNING') return;
        execution.stopDate = Date.now() / 1000;
        if (error instanceof ExecutionAbortedError) {
          execution.status = 'ABORTED';
          return;
        }
        const e = error as Error & { cause?: Error };
        execution.status = e?.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
        const root = e?.cause instanceof Error ? e.cause : e;
        execution.error = root?.name ?? 'States.Runtime';
        execution.cause = root?.message ?? String(error);
        log(`execution ${name} of ${arnName} ${execution.status}: ${execution.error}: ${execution.cause}`);
      },
    );
    return { executionArn, startDate };
  }

  async function recordHistory(execution: Execution, events: AsyncGenerator<{ type: string; timestamp: number }>): Promise<void> {
    const add = (type: string, details: Record<string, unknown>, timestamp: number) => {
      const id = execution.history.length + 1;
      execution.history.push({ timestamp: timestamp / 1000, type, id, previousEventId: id - 1, ...details });
    };
    try {
      for await (const e of events) {
        const ev = e as Record<string, unknown> & { type: string; timestamp: number };
        const state = ev.state as { name: string; type: string; input: Json; output?: Json } | undefined;
        switch (ev.type) {
          case 'ExecutionStarted':
            add(
              'ExecutionStarted',
              { executionStartedEventDetails: { input: JSON.stringify(ev.input), roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/local` } },
              ev.timestamp,
            );
            break;
          case 'ExecutionSucceeded':
            add('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(ev.output) } }, ev.timestamp);
            break;
          case 'ExecutionFailed':
            add('ExecutionFailed', { executionFailedEventDetails: { error: String(ev.Error), cause: String(ev.Cause) } }, ev.timestamp);
            break;
          case 'ExecutionAborted':
            add('ExecutionAborted', { executionAbortedEventDetails: {} }, ev.timestamp);
            break;
          case 'ExecutionTimeout':
            add('ExecutionTimedOut', { executionTimedOutEventDetails: {} }, ev.timestamp);
            break;
          case 'StateEntered':
            add(`${state!.type}StateEntered`, { stateEnteredEventDetails: { name: state!.name, input: JSON.stringify(state!.input) } }, ev.timestamp);
            break;
          case 'StateExited':
            add(
              `${state!.type}StateExited`,
              { stateExitedEventDetails: { name: state!.name, output: JSON.stringify(state!.output ?? null) } },
              ev.timestamp,
            );
            break;
          case 'StateFailed':
            if (state!.type === 'Task')
              add(
                'TaskFailed',
                { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: String(ev.Error), cause: String(ev.Cause) } },
                ev.timestamp,
              );
            break;
          default:
            break;
        }
      }
    } catch (error) {
      log(`history of ${execution.name} stopped: ${String(error)}`);
    }
  }

  const taskFor = (token: unknown): PendingTask => {
    const task = typeof token === 'string' ? tasks.get(token) : undefined;
    if (!task) throw new SfnError('TaskDoesNotExist', 'Task Does Not Exist');
    return task;
  };
  const executionFor = (arn: unknown): Execution => {
    const e = typeof arn === 'string' ? executions.get(arn) : undefined;
    if (!e) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return e;
  };

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (b) => startExecution(b as { stateMachineArn?: string; name?: string; input?: string }),
    DescribeExecution: (b) => describe(executionFor(b.executionArn)),
    StopExecution: (b) => {
      const e = executionFor(b.executionArn);
      if (e.status === 'RUNNING') {
        e.status = 'ABORTED';
        e.stopDate = Date.now() / 1000;
        if (typeof b.error === 'string') e.error = b.error;
        if (typeof b.cause === 'string') e.cause = b.cause;
        for (const [token, task] of tasks) if (task.executionArn === e.executionArn) tasks.delete(token);
        e.abort();
      }
      return { stopDate: e.stopDate };
    },
    SendTaskSuccess: (b) => {
      const task = taskFor(b.taskToken);
      let output: Json;
      try {
        output = JSON.parse(String(b.output)) as Json;
      } catch {
        throw new SfnError('InvalidOutput', 'Invalid Output: output is not valid JSON');
      }
      task.resolve(output);
      return {};
    },
    SendTaskFailure: (b) => {
      taskFor(b.taskToken).reject(
        new TaskError(typeof b.error === 'string' ? b.error : 'States.TaskFailed', typeof b.cause === 'string' ? b.cause : ''),
      );
      return {};
    },
    SendTaskHeartbeat: (b) => {
      taskFor(b.taskToken); // HeartbeatSeconds is not enforced locally.
      return {};
    },
    GetExecutionHistory: (b) => {
      const e = executionFor(b.executionArn);
      const all = b.reverseOrder ? [...e.history].reverse() : e.history;
      const start = typeof b.nextToken === 'string' ? Number(b.nextToken) : 0;
      const max = typeof b.maxResults === 'number' && b.maxResults > 0 ? b.maxResults : 100;
      const events = all.slice(start, start + max);
      return { events, ...(start + max < all.length && { nextToken: String(start + max) }) };
    },
    ListExecutions: (b) => ({
      executions: [...executions.values()]
        .filter((e) => e.stateMachineArn === b.stateMachineArn && (!b.statusFilter || e.status === b.statusFilter))
        .reverse()
        .map(({ executionArn, stateMachineArn: sm, name, status, startDate, stopDate }) => ({
          executionArn,
          stateMachineArn: sm,
          name,
          status,
          startDate,
          ...(stopDate !== undefined && { stopDate }),
        })),
    }),
    ListStateMachines: () => ({
      stateMachines: [...machines.keys()].map((arn) => ({ stateMachineArn: arn, name: arn.split(':').pop(), type: 'STANDARD', creationDate: 0 })),
    }),
    DescribeStateMachine: (b) => {
      const entry = machines.get(String(b.stateMachineArn));
      if (!entry) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(b.stateMachineArn)}'`);
      return {
        stateMachineArn: b.stateMachineArn,
        name: String(b.stateMachineArn).split(':').pop(),
        status: 'ACTIVE',
        definition: JSON.stringify(entry.definition),
        roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/local`,
        type: 'STANDARD',
        creationDate: 0,
      };
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': randomUUID(),
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = operations[target.replace(/^AWSStepFunctions\./, '')];
    const raw = await readBody(req, 1024 * 1024);
    if (!target.startsWith('AWSStepFunctions.') || !op) {
      send(400, { __type: 'UnknownOperationException', message: `Unknown operation ${target}` });
      return;
    }
    try {
      const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      send(200, await op(body));
    } catch (error) {
      if (error instanceof SfnError) send(400, { __type: `com.amazonaws.swf.service.v2.model#${error.type}`, message: error.message });
      else if (error instanceof SyntaxError) send(400, { __type: 'SerializationException', message: 'Malformed JSON' });
      else {
        log(`step functions ${target} failed: ${String((error as Error)?.stack ?? error)}`);
        send(500, { __type: 'InternalFailure', message: 'Internal failure' });
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  const close = async () => {
    for (const e of executions.values()) if (e.status === 'RUNNING') e.abort();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  return { server, close };
}

function findState(
  definition: StateMachineDefinition,
  name: string,
): (Record<string, unknown> & { Resource?: string; TimeoutSeconds?: number; TimeoutSecondsPath?: string }) | undefined {
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (stateName === name && state.Type === 'Task') return state as never;
    const nested = [
      ...((state as { Branches?: StateMachineDefinition[] }).Branches ?? []),
      ...[(state as { Iterator?: StateMachineDefinition }).Iterator, (state as { ItemProcessor?: StateMachineDefinition }).ItemProcessor].filter(
        (d): d is StateMachineDefinition => !!d,
      ),
    ];
    for (const inner of nested) {
      const found = findState(inner, name);
      if (found) return found;
    }
  }
  return undefined;
}
