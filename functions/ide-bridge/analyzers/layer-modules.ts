/**
 * The analyzers (TypeScript, pyright, tree-sitter and its grammars, the JSON/YAML/HTML parsers) are not
 * bundled into the functions: they ship in the `ideAnalyzers` Lambda layer (resources.ts `layers`), which
 * Lambda mounts at /opt/nodejs/node_modules. They are loaded with `require` because CommonJS resolution
 * searches NODE_PATH (where Lambda puts the layer) and esbuild leaves such calls alone; locally the same
 * call finds them in node_modules. Loading is lazy: a function pays for an analyzer only when it uses it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const layerRequire = createRequire(import.meta.url);

export const loadModule = <T>(name: string): T => layerRequire(name) as T;

export const resolveModule = (specifier: string): string => layerRequire.resolve(specifier);

/** The root folder of an installed package (found from its entry point, whatever its `exports` allow). */
export const packageRoot = (name: string): string => {
  let dir = path.dirname(layerRequire.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      // An npm alias (`typescript6` is `typescript@6`) keeps the real name inside: its folder says which.
      if (manifest.name === name || dir.endsWith(path.join('node_modules', name))) return dir;
    } catch {
      // no package.json at this level: keep climbing
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the package folder of ${name}`);
    dir = parent;
  }
};

const versions = new Map<string, string>();

/** The installed version of a package, as its package.json says. */
export const packageVersion = (name: string): string => {
  let version = versions.get(name);
  if (!version) {
    version = (JSON.parse(readFileSync(path.join(packageRoot(name), 'package.json'), 'utf8')) as { version: string }).version;
    versions.set(name, version);
  }
  return version;
};
