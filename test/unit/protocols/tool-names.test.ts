/**
 * How remote MCP tools are named for models and mapped back, and the tenant's allow/deny filters: pure
 * functions, so every edge is cheap to pin down here.
 */
import { describe, expect, it } from 'vitest';
import { MODEL_TOOL_NAME, modelToolName, splitModelToolName, toolAllowed } from '#functions/protocols/mcp-servers/tool-names.ts';
import { createUrlPolicy } from '#functions/protocols/mcp-servers/url-policy.ts';

describe('model tool names', () => {
  it('keeps a name models accept, prefixed by the server', () => {
    expect(modelToolName('github', 'search_issues')).toBe('github__search_issues');
    expect(splitModelToolName('github__search_issues')).toEqual({ serverName: 'github', direct: 'search_issues' });
  });

  it('renames what models refuse, with a hash so that it cannot pass for a clean name, and never maps it back directly', () => {
    for (const tool of ['files.read', 'a/b/c', 'x'.repeat(80), 'héllo', 'ends_deadbeef']) {
      const name = modelToolName('fs', tool);
      expect(name).toMatch(MODEL_TOOL_NAME);
      expect(name).toMatch(/_[0-9a-f]{8}$/);
      expect(splitModelToolName(name)).toEqual({ serverName: 'fs', direct: undefined });
    }
    expect(modelToolName('fs', 'files.read')).not.toBe(modelToolName('fs', 'files/read'));
  });

  it('rejects names without a server part', () => {
    expect(splitModelToolName('calculator')).toBeUndefined();
    expect(splitModelToolName('__x')).toBeUndefined();
    expect(splitModelToolName('srv__')).toBeUndefined();
  });
});

describe('tool filters', () => {
  it('applies allowTools first, then denyTools, with * wildcards and nothing else special', () => {
    const filters = { allowTools: ['repo_*', 'search'], denyTools: ['repo_delete*'] };
    expect(toolAllowed('repo_read', filters)).toBe(true);
    expect(toolAllowed('search', filters)).toBe(true);
    expect(toolAllowed('repo_delete_branch', filters)).toBe(false);
    expect(toolAllowed('searchx', filters)).toBe(false);
    expect(toolAllowed('a.b', { allowTools: ['a?b'], denyTools: [] })).toBe(false);
    expect(toolAllowed('anything', { allowTools: null, denyTools: [] })).toBe(true);
  });
});

describe('MCP server URL policy', () => {
  const strict = createUrlPolicy({ allowPrivateNetworks: false, alwaysRefuseLinkLocal: true }, []);
  const listed = createUrlPolicy({ allowPrivateNetworks: false, alwaysRefuseLinkLocal: true }, ['mcp.example.com', '*.tools.example.com']);
  const laptop = createUrlPolicy({ allowPrivateNetworks: true, alwaysRefuseLinkLocal: true }, []);

  it('refuses private, loopback and link-local addresses unless private networks are allowed, and metadata always', () => {
    expect(strict(new URL('https://mcp.example.com/mcp'))).toBeUndefined();
    for (const url of ['http://127.0.0.1/mcp', 'http://10.1.2.3/mcp', 'http://[::1]/mcp', 'http://169.254.169.254/']) {
      expect(strict(new URL(url)), url).toBeTypeOf('string');
    }
    expect(laptop(new URL('http://127.0.0.1:8080/mcp'))).toBeUndefined();
    expect(laptop(new URL('http://169.254.169.254/latest'))).toBeTypeOf('string');
  });

  it('keeps to the operator host list when there is one', () => {
    expect(listed(new URL('https://mcp.example.com/mcp'))).toBeUndefined();
    expect(listed(new URL('https://a.tools.example.com/mcp'))).toBeUndefined();
    expect(listed(new URL('https://evil.example.org/mcp'))).toMatch(/not among the allowed/);
  });
});
