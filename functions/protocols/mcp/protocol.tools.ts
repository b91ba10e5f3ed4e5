/**
 * This domain's registry as MCP tools: validate one LSP, MCP or REST message against the protocol's own
 * schemas, and translate one between LSP, MCP and REST. Same schemas and use cases as
 * `POST /v1/protocols/validate` and `/translate`.
 */
import { registryPorts } from '../registry/registry.composition.ts';
import { validateBody } from '../registry/registry.contracts.ts';
import { validateMessage } from '../registry/registry.service.ts';
import { translatePorts } from '../translate/translate.composition.ts';
import { translateBody } from '../translate/translate.contracts.ts';
import { translate } from '../translate/translate.service.ts';
import { validateMessageRoute, translateMessageRoute } from '../protocols.manifest.ts';
import type { HttpRoute } from '#shared/manifest.types.ts';
import { defineMcpTool, type McpTool } from './mcp-tool.ts';

const rolesOf = (route: HttpRoute) => route.roles;

export const protocolTools = (): McpTool[] => [
  defineMcpTool({
    name: 'validate_protocol_message',
    title: 'Validate a protocol message',
    description:
      "Checks one LSP 3.18, MCP (2026-07-28 or 2025-11-25) or REST v1 message against that protocol's schemas: valid, and each error with its JSON Pointer (POST /v1/protocols/validate).",
    input: validateBody,
    roles: rolesOf(validateMessageRoute),
    readOnly: true,
    run: async (_principal, args) => ({ ...(await validateMessage(registryPorts(), args)) }),
  }),
  defineMcpTool({
    name: 'translate_protocol_message',
    title: 'Translate a protocol message',
    description:
      'Translates one message between LSP, MCP and REST (LSP requests <-> MCP tools/call <-> REST calls, and results back; positions converted) (POST /v1/protocols/translate).',
    input: translateBody,
    roles: rolesOf(translateMessageRoute),
    readOnly: true,
    run: async (_principal, args) => ({ ...(await translate(translatePorts(), args)) }),
  }),
];
