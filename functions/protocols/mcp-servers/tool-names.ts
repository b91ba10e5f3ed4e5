/**
 * The names a remote server's tools get in front of a model, and the tenant's allow/deny filters. Models
 * accept `^[a-zA-Z0-9_-]{1,64}$` (the stricter of OpenAI's and Anthropic's rules); MCP tool names may be
 * longer and carry `.` or `/`. A tool is shown as `<server name>__<tool>`: server names have no `_`, so the
 * first `__` always splits the two. A name that had to change (bad characters, too long) ends with `_` and 8
 * hex digits of its hash, so it cannot pass for a tool whose name needed no change.
 */
import { createHash } from 'node:crypto';

export const MODEL_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const SEPARATOR = '__';
const HASHED = /_[0-9a-f]{8}$/;

const hash8 = (name: string): string => createHash('sha256').update(name).digest('hex').slice(0, 8);

export const modelToolName = (serverName: string, toolName: string): string => {
  const prefix = `${serverName}${SEPARATOR}`;
  const direct = prefix + toolName;
  if (MODEL_TOOL_NAME.test(direct) && !HASHED.test(toolName)) return direct;
  const suffix = `_${hash8(toolName)}`;
  const cleaned = toolName.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, Math.max(0, 64 - prefix.length - suffix.length));
  return prefix + cleaned + suffix;
};

/**
 * Splits a model's tool name into the server name and the part after it. `direct` is the server's own tool
 * name when the model name was not changed from it; otherwise (undefined) the server's list maps it back.
 */
export const splitModelToolName = (name: string): { serverName: string; direct: string | undefined } | undefined => {
  const at = name.indexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const serverName = name.slice(0, at);
  const rest = name.slice(at + SEPARATOR.length);
  if (rest === '') return undefined;
  return { serverName, direct: HASHED.test(rest) ? undefined : rest };
};

const patternRegex = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** Whether the tenant's filters let this tool through: in allowTools (when set), and not in denyTools. */
export const toolAllowed = (toolName: string, filters: { allowTools: readonly string[] | null; denyTools: readonly string[] }): boolean => {
  if (filters.allowTools && !filters.allowTools.some((p) => patternRegex(p).test(toolName))) return false;
  return !filters.denyTools.some((p) => patternRegex(p).test(toolName));
};
