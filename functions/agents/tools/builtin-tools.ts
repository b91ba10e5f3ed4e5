/** The tools every agent can be given, configured from the environment the function runs in. */
import { calculatorTool } from './calculator.tool.ts';
import { createFileTools, type FileToolsConfig } from './file.tools.ts';
import { createHttpRequestTool, httpToolConfigFromEnv, type HttpToolConfig } from './http-request.tool.ts';
import { requestApprovalTool } from './request-approval.tool.ts';
import type { Tool } from './tool.types.ts';

export interface BuiltinToolsConfig {
  http: HttpToolConfig;
  files?: FileToolsConfig;
}

export const builtinToolsConfigFromEnv = (environment: NodeJS.ProcessEnv = process.env): BuiltinToolsConfig => ({
  http: httpToolConfigFromEnv(environment),
});

export const createBuiltinTools = (config: BuiltinToolsConfig): Tool[] => [
  calculatorTool,
  createHttpRequestTool(config.http),
  ...createFileTools(config.files),
  requestApprovalTool,
];
