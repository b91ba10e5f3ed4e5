/**
 * Builds the VS Code extension (editors/vscode) and packages it as a `.vsix`: esbuild bundles
 * `src/extension.mts` with vscode-languageclient into one CommonJS file (VS Code loads extensions with
 * `require`; `vscode` itself is the editor's), then @vscode/vsce packs that file, the manifest, README and
 * LICENSE (editors/vscode/.vscodeignore) without node_modules (everything is in the bundle).
 *
 *   npm run package:vscode [-- --out <path.vsix>]      (default: editors/vscode/mls-ide-bridge-<version>.vsix)
 *
 * Install the result with `code --install-extension <path.vsix>`. test/ide-bridge/vscode-extension.test.ts
 * runs this and reads the package back.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVSIX } from '@vscode/vsce';
import { build } from 'esbuild';

export const EXTENSION_DIR = path.resolve(import.meta.dirname, '..', 'editors', 'vscode');

export const packageVscodeExtension = async (out?: string): Promise<string> => {
  const manifest = JSON.parse(readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as { name: string; version: string };
  await build({
    entryPoints: [path.join(EXTENSION_DIR, 'src', 'extension.mts')],
    outfile: path.join(EXTENSION_DIR, 'dist', 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The Node of VS Code 1.91's extension host.
    target: 'node20',
    external: ['vscode'],
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const packagePath = path.resolve(out ?? path.join(EXTENSION_DIR, `${manifest.name}-${manifest.version}.vsix`));
  // No `repository` in the manifest: the extension is built from this repository, wherever it is hosted.
  await createVSIX({ cwd: EXTENSION_DIR, packagePath, dependencies: false, allowMissingRepository: true });
  return packagePath;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? process.argv[at + 1] : undefined;
  const written = await packageVscodeExtension(out);
  process.stderr.write(`packaged ${written}\n`);
  process.stdout.write(`${written}\n`);
}
