/**
 * The registry's catalogs, built once per cold start: LSP from the schemas generated out of
 * vscode-languageserver-protocol's types, MCP from the SDK's schemas, REST from the platform's own OpenAPI
 * document (platform.public.ts). Each loads what it needs on first use.
 */
import { openApiDocument } from '#functions/platform/platform.public.ts';
import { lspCatalog } from './lsp-catalog.adapter.ts';
import { mcpCatalog } from './mcp-catalog.adapter.ts';
import type { RegistryPorts } from './registry.service.ts';
import { restCatalog } from './rest-catalog.adapter.ts';

let ports: RegistryPorts | undefined;

export const registryPorts = (): RegistryPorts => (ports ??= { catalogs: [lspCatalog(), mcpCatalog(), restCatalog(openApiDocument)] });
