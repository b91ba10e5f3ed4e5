/**
 * The translation's checks, wired once per cold start: LSP schemas generated from vscode-languageserver-protocol,
 * the MCP SDK's CallToolResult schema, and the platform's own OpenAPI document for REST.
 */
import { CallToolResultSchema } from '@modelcontextprotocol/core';
import { openApiDocument } from '#functions/platform/platform.public.ts';
import { checkLsp } from '../registry/lsp-catalog.adapter.ts';
import { restApiOf, validateRestMessage, type RestApi } from '../registry/rest-catalog.adapter.ts';
import { zodIssuesOf } from '../registry/zod-issues.ts';
import type { TranslatePorts } from './translate.service.ts';

let rest: Promise<RestApi> | undefined;
const restApi = (): Promise<RestApi> => {
  rest ??= openApiDocument().then(restApiOf);
  return rest;
};
let ports: TranslatePorts | undefined;

export const translatePorts = (): TranslatePorts =>
  (ports ??= {
    checkLsp,
    checkRest: async (message) => validateRestMessage(await restApi(), message),
    checkToolResult: (value) => {
      const parsed = CallToolResultSchema.safeParse(value);
      return parsed.success ? [] : zodIssuesOf(parsed.error);
    },
  });
