/**
 * `read_file`, `write_file`, `list_files`: text files in the tenant's own part of the bucket,
 * `tenants/<tenantId>/files/<path>`. The tenant comes from the execution, never from the model; a path is
 * always relative to that prefix, and anything that could step out of it (`..`, absolute paths, another
 * tenant's prefix) is refused rather than cleaned up.
 */
import * as z from 'zod';
import { ToolError, ToolInputError, ToolNotFoundError, ToolRefusedError, ToolTooLargeError } from './tool.errors.ts';
import { defineTool, type Tool } from './tool.types.ts';

export interface FileToolsConfig {
  /** Largest file `read_file` returns (its content goes into the conversation). */
  maxReadBytes?: number;
  /** Largest file `write_file` stores. */
  maxWriteBytes?: number;
}

export const DEFAULT_MAX_READ_BYTES = 256 * 1024;
export const DEFAULT_MAX_WRITE_BYTES = 1024 * 1024;
const MAX_PATH_LENGTH = 512;

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The key prefix a tenant's files live under; the tenant id is checked because it becomes part of a key. */
export const tenantFilesPrefix = (tenantId: string): string => {
  if (!TENANT_ID.test(tenantId)) throw new ToolError('tool_failed', 'The execution has no valid tenant.');
  return `tenants/${tenantId}/files/`;
};

/**
 * Checks a model-supplied path and returns it relative to the tenant's prefix. A path that names the
 * tenant's own full prefix is accepted (models echo back keys they saw); any other `tenants/...` is refused.
 */
export const normalizeFilePath = (tenantId: string, raw: string, options: { directory?: boolean } = {}): string => {
  const prefix = tenantFilesPrefix(tenantId);
  let path = raw.trim();
  if (path.startsWith(prefix)) path = path.slice(prefix.length);
  else if (path.startsWith('tenants/')) throw new ToolRefusedError(`"${raw}" is outside this tenant's files.`);
  if (options.directory && path.endsWith('/')) path = path.slice(0, -1);
  if (path === '') {
    if (options.directory) return '';
    throw new ToolInputError('The path is empty.');
  }
  if (path.length > MAX_PATH_LENGTH) throw new ToolInputError(`The path is longer than ${MAX_PATH_LENGTH} characters.`);
  if (path.startsWith('/') || path.startsWith('~') || /^[A-Za-z]:/.test(path)) {
    throw new ToolRefusedError(`"${raw}" is an absolute path; give a path relative to the tenant's files, e.g. "reports/q1.txt".`);
  }
  // Control characters and backslashes have no business in a key and can confuse whatever reads it later.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point of this check.
  if (/[\u0000-\u001f\u007f\\]/.test(path))
    throw new ToolRefusedError(`"${raw}" contains characters paths may not have (control characters or "\\").`);
  for (const segment of path.split('/')) {
    if (segment === '..' || segment === '.') throw new ToolRefusedError(`"${raw}" contains "${segment}"; paths may not leave or re-enter folders.`);
    if (segment === '') throw new ToolInputError(`"${raw}" contains an empty folder name ("//" or a trailing "/").`);
  }
  return path;
};

const contentTypeFor = (path: string): string => {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  const types: Record<string, string> = {
    json: 'application/json',
    md: 'text/markdown; charset=utf-8',
    csv: 'text/csv; charset=utf-8',
    html: 'text/html; charset=utf-8',
    xml: 'application/xml',
    yaml: 'application/yaml',
    yml: 'application/yaml',
  };
  return Object.hasOwn(types, ext) ? (types[ext] as string) : 'text/plain; charset=utf-8';
};

const pathField = z.string().min(1).max(MAX_PATH_LENGTH).describe('Path relative to your files, e.g. "notes/todo.md".');

export const createFileTools = (config: FileToolsConfig = {}): Tool[] => {
  const maxReadBytes = config.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  const maxWriteBytes = config.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES;

  const readFile = defineTool({
    name: 'read_file',
    description: `Reads a UTF-8 text file from your files and returns its content (files up to ${maxReadBytes} bytes).`,
    input: z.object({ path: pathField }),
    run: async ({ path: raw }, ctx) => {
      const path = normalizeFilePath(ctx.tenantId, raw);
      const file = await ctx.files.read(tenantFilesPrefix(ctx.tenantId) + path, { maxBytes: maxReadBytes, signal: ctx.signal });
      if (!file) throw new ToolNotFoundError(`There is no file "${path}". list_files shows what exists.`);
      let content: string;
      try {
        content = new TextDecoder('utf-8', { fatal: true }).decode(file.content);
      } catch {
        throw new ToolInputError(
          `"${path}" is not a text file (${file.contentType ?? 'binary'}, ${file.size} bytes); read_file reads UTF-8 text only.`,
        );
      }
      return { path, size: file.size, contentType: file.contentType ?? null, content };
    },
  });

  const writeFile = defineTool({
    name: 'write_file',
    description: `Writes a UTF-8 text file to your files, replacing any file at that path (at most ${maxWriteBytes} bytes).`,
    input: z.object({ path: pathField, content: z.string().describe('The whole new content of the file.') }),
    run: async ({ path: raw, content }, ctx) => {
      const path = normalizeFilePath(ctx.tenantId, raw);
      const bytes = new TextEncoder().encode(content);
      if (bytes.byteLength > maxWriteBytes) {
        throw new ToolTooLargeError(`The content is ${bytes.byteLength} bytes; write_file stores at most ${maxWriteBytes}.`);
      }
      await ctx.files.write(tenantFilesPrefix(ctx.tenantId) + path, bytes, { contentType: contentTypeFor(path), signal: ctx.signal });
      return { path, size: bytes.byteLength };
    },
  });

  const listFiles = defineTool({
    name: 'list_files',
    description: 'Lists your files (all of them, or those under a folder), with sizes; pass nextCursor back as cursor for more.',
    input: z.object({
      folder: z.string().max(MAX_PATH_LENGTH).optional().describe('Only files under this folder, e.g. "reports".'),
      limit: z.number().int().min(1).max(1000).default(100),
      cursor: z.string().max(2048).optional(),
    }),
    run: async ({ folder, limit, cursor }, ctx) => {
      const prefix = tenantFilesPrefix(ctx.tenantId);
      const under = folder === undefined ? '' : normalizeFilePath(ctx.tenantId, folder, { directory: true });
      const listing = await ctx.files.list(prefix + (under === '' ? '' : `${under}/`), { limit, cursor, signal: ctx.signal });
      return {
        files: listing.items.map((item) => ({
          path: item.key.slice(prefix.length),
          size: item.size,
          lastModified: item.lastModified?.toISOString() ?? null,
        })),
        nextCursor: listing.nextCursor ?? null,
      };
    },
  });

  return [readFile, writeFile, listFiles];
};
