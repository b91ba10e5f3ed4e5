/**
 * One MCP tool of the platform: a name, a description, the zod schema of its arguments (the same schema the
 * REST route validates with, so `tools/list` shows what REST accepts), the roles that may call it, and `run`.
 * Areas of this domain and the use cases of other domains (through their public modules) become tools by
 * filling this in; `mcp-surface.service.ts` turns each into a registered SDK tool.
 */
import type { z } from 'zod';
import type { Principal, Role } from '#shared/principal.ts';

export interface McpTool<S extends z.ZodObject = z.ZodObject> {
  /** `^[a-z][a-z0-9_]{0,63}$`: what MCP clients (and their models) call it. */
  name: string;
  title: string;
  description: string;
  input: S;
  /** Roles allowed to call it, as the REST route says; undefined: any authenticated principal. */
  roles?: ReadonlyArray<Role> | undefined;
  /** True when the tool changes nothing (MCP's `readOnlyHint`). */
  readOnly: boolean;
  /** Resolves to a JSON object; throws the platform's AppErrors (NotFoundError, ValidationError, ...). */
  run(principal: Principal, args: z.output<S>, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/** Keeps `run`'s argument type tied to the schema without repeating it. */
export const defineMcpTool = <S extends z.ZodObject>(tool: McpTool<S>): McpTool<S> => tool;
