/** Small builders the tool tests share: a model-style tool call and an execution context. */
import { S3Client } from '@aws-sdk/client-s3';
import type { ToolCall } from '#functions/agents/models/model.types.ts';
import type { FilesPort } from '#functions/agents/tools/files.port.ts';
import { S3FilesPort } from '#functions/agents/tools/s3-files.adapter.ts';
import type { ToolContext } from '#functions/agents/tools/tool.types.ts';

let counter = 0;

/** A tool call as the provider adapters hand it over: raw JSON text plus its parsed object. */
export const call = (name: string, args: Record<string, unknown>, id = `call_${++counter}`): ToolCall => ({
  id,
  name,
  arguments: JSON.stringify(args),
  parsed: args,
});

/**
 * Tools that never touch files still need a files port in their context; this real adapter points at a
 * closed port, so a test that reaches it by mistake fails loudly instead of passing.
 */
const unreachableFiles = (): FilesPort =>
  new S3FilesPort(
    new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    }),
    'unused',
  );

export const context = (overrides: Partial<ToolContext> = {}): ToolContext => ({
  tenantId: 'tenant-a',
  executionId: 'exe_test',
  signal: new AbortController().signal,
  files: overrides.files ?? unreachableFiles(),
  ...overrides,
});
