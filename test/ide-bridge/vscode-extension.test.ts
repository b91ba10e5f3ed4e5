/**
 * The VS Code extension as CI builds it: `npm run package:vscode` (esbuild + @vscode/vsce), then the `.vsix`
 * read back as VS Code would unpack it: the manifest VS Code reads (entry point, engine, activation, the
 * settings for URL and key), and one self-contained CommonJS bundle that requires nothing but `vscode` and
 * Node's own modules, loads, and exports activate/deactivate. No VS Code is needed.
 */
import { spawnSync } from 'node:child_process';
import { builtinModules, createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import yauzl from 'yauzl';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let entries: Map<string, Buffer>;

const readZip = async (file: string): Promise<Map<string, Buffer>> => {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  try {
    const listed = await new Promise<yauzl.Entry[]>((resolve, reject) => {
      const all: yauzl.Entry[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        all.push(entry);
        zip.readEntry();
      });
      zip.on('end', () => resolve(all));
      zip.on('error', reject);
      zip.readEntry();
    });
    const out = new Map<string, Buffer>();
    for (const entry of listed) {
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      out.set(entry.fileName, Buffer.concat(chunks));
    }
    return out;
  } finally {
    zip.close();
  }
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mls-vsix-'));
  const out = path.join(dir, 'mls.vsix');
  const built = spawnSync('npm', ['run', '--silent', 'package:vscode', '--', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(built.status, built.stderr).toBe(0);
  expect(built.stdout.trim().split('\n').at(-1)).toBe(out);
  entries = await readZip(out);
});
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

it('packages the manifest, the bundle, README and LICENSE, and nothing else', () => {
  expect([...entries.keys()].sort()).toEqual([
    '[Content_Types].xml',
    'extension.vsixmanifest',
    'extension/LICENSE.txt',
    'extension/dist/extension.js',
    'extension/package.json',
    'extension/readme.md',
  ]);
  const manifest = JSON.parse(entries.get('extension/package.json')!.toString('utf8'));
  expect(manifest).toMatchObject({ name: 'mls-ide-bridge', main: './dist/extension.js', engines: { vscode: '^1.91.0' } });
  expect(manifest.activationEvents).toEqual(expect.arrayContaining(['onLanguage:typescript', 'onLanguage:python', 'onLanguage:go']));
  expect(Object.keys(manifest.contributes.configuration.properties)).toEqual(
    expect.arrayContaining(['mls.url', 'mls.apiKey', 'mls.workspace', 'mls.server.command', 'mls.server.args']),
  );
  expect(entries.get('extension.vsixmanifest')!.toString('utf8')).toContain('Id="mls-ide-bridge"');
});

const anything: object = new Proxy(function stub() {}, {
  get: (target, property) => (property === 'prototype' ? target.prototype : anything),
  construct: () => ({}),
  apply: () => undefined,
});

it('bundles everything but the editor: the extension requires only vscode and Node built-ins, and exports activate/deactivate', () => {
  const code = entries.get('extension/dist/extension.js')!.toString('utf8');
  const required = new Set<string>();
  const sandbox = {
    module: { exports: {} as Record<string, unknown> },
    require: (name: string) => {
      required.add(name);
      // Loading only declares things on top of the editor's API (classes extending it, enums): a stand-in
      // that is any value, constructor or namespace will do; activate is what uses the real API.
      if (name === 'vscode') return anything;
      return createRequire(import.meta.url)(name);
    },
    process,
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    Buffer,
    URL,
    TextEncoder,
    TextDecoder,
  };
  vm.runInNewContext(`(function (module, exports, require) {${code}\n})(module, module.exports, require)`, sandbox, { filename: 'extension.js' });
  expect(typeof sandbox.module.exports.activate).toBe('function');
  expect(typeof sandbox.module.exports.deactivate).toBe('function');
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  expect([...required].filter((name) => name !== 'vscode' && !builtins.has(name))).toEqual([]);
  expect(required.has('vscode')).toBe(true);
});
