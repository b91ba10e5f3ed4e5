/**
 * The tool runner and the files port, built once per cold start for the handlers that need them
 * (`GET /v1/tools`, the run-tools task of the execution state machine).
 */
import { env } from '#lib/resources.ts';
import type { ToolCall } from '../domain/model.types.ts';
import { builtinToolsConfigFromEnv, createBuiltinTools } from './builtin-tools.ts';
import type { FilesPort } from './files.port.ts';
import { createS3Client, S3FilesPort } from './s3-files.adapter.ts';
import { createToolRunner, type ToolRunner } from './tool.runner.ts';
import type { ToolContext, ToolInfo, ToolResult } from './tool.types.ts';

let runner: ToolRunner | undefined;
let files: FilesPort | undefined;

export const toolRunner = (): ToolRunner => (runner ??= createToolRunner(createBuiltinTools(builtinToolsConfigFromEnv())));

export const filesPort = (): FilesPort => {
  if (files) return files;
  const bucket = process.env[env.bucket];
  if (!bucket) throw new Error(`${env.bucket} is not set`);
  return (files = new S3FilesPort(createS3Client(), bucket));
};

export const listTools = (): ToolInfo[] => toolRunner().listTools();
export const runToolCall = (toolCall: ToolCall, ctx: ToolContext): Promise<ToolResult> => toolRunner().runToolCall(toolCall, ctx);
