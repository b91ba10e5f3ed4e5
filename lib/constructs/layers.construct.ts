/**
 * A Lambda layer of npm packages (functions/shared/resources.ts `layers`), assembled at synth time from the
 * project's own node_modules: each listed package and its dependencies placed in `nodejs/node_modules`,
 * where Lambda's Node.js runtime finds them (NODE_PATH). No Docker: the packages are plain JavaScript and
 * WebAssembly (no native add-ons), so the locked versions installed by `npm ci` are the ones to ship, and the
 * asset hash is derived from exactly those (names and versions), not from a folder's bytes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { LayerName } from '#shared/manifest.types.ts';
import { layers as layerShapes } from '#shared/resources.ts';

/** Files the runtime never reads: source maps, other TypeScript entry points, translations, debug builds. */
const SKIPPED = [
  /\.map$/,
  /\/typescript6\/lib\/(_?tsc|_?tsserver|tsserverlibrary|_?typingsInstaller|watchGuard)\.(js|d\.ts)$/,
  /\/typescript6\/lib\/[a-z]{2}(-[a-z]{2})?(\/|$)/i,
  /\/web-tree-sitter\/debug(\/|$)/,
];

interface PackageDir {
  name: string;
  version: string;
  dir: string;
}

/** The packages and their dependencies (transitively), as installed at the top of node_modules. */
export const packageClosure = (projectRoot: string, roots: readonly string[]): PackageDir[] => {
  const found = new Map<string, PackageDir>();
  const visit = (name: string, optional: boolean): void => {
    if (found.has(name)) return;
    const dir = path.join(projectRoot, 'node_modules', name);
    if (!existsSync(path.join(dir, 'package.json'))) {
      if (optional) return;
      throw new Error(`Layer package ${name} is not installed (run npm ci)`);
    }
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      version: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    found.set(name, { name, version: manifest.version, dir });
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      // A dependency nested in the package's own node_modules travels with the package folder.
      if (!existsSync(path.join(dir, 'node_modules', dep))) visit(dep, false);
    }
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) {
      if (!existsSync(path.join(dir, 'node_modules', dep))) visit(dep, true);
    }
  };
  for (const root of roots) visit(root, false);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
};

/**
 * Puts the packages into `<outputDir>/nodejs/node_modules`, leaving out what the runtime never reads. Files
 * are hard-linked where the file system allows (cdk.out next to node_modules: thousands of typeshed stubs
 * cost nothing to stage), copied otherwise; nothing ever writes to them, so sharing the inode is safe.
 */
export const assembleLayer = (packages: readonly PackageDir[], outputDir: string): void => {
  let link = true;
  const place = (source: string, target: string): void => {
    if (SKIPPED.some((pattern) => pattern.test(source.split(path.sep).join('/')))) return;
    if (statSync(source).isDirectory()) {
      mkdirSync(target, { recursive: true });
      for (const entry of readdirSync(source)) place(path.join(source, entry), path.join(target, entry));
      return;
    }
    if (link) {
      try {
        // The real file: a link to a symlink would point wherever the symlink's relative target lands.
        linkSync(realpathSync(source), target);
        return;
      } catch {
        link = false; // another file system, or links not allowed: copy from here on
      }
    }
    copyFileSync(source, target);
  };
  for (const pkg of packages) place(pkg.dir, path.join(outputDir, 'nodejs', 'node_modules', pkg.name));
};

export interface PackagesLayerProps {
  name: LayerName;
  prefix: string;
  projectRoot: string;
}

export class PackagesLayer extends Construct {
  readonly layer: lambda.LayerVersion;
  /** What the functions using the layer must leave out of their bundles. */
  readonly packages: readonly string[];

  constructor(scope: Construct, id: string, props: PackagesLayerProps) {
    super(scope, id);
    const shape = layerShapes[props.name];
    const closure = packageClosure(props.projectRoot, shape.packages);
    this.packages = shape.packages;
    const assetHash = createHash('sha256')
      .update(JSON.stringify([props.name, SKIPPED.map(String), closure.map((p) => [p.name, p.version])]))
      .digest('hex');
    const folder = path.join(
      props.projectRoot,
      'layers',
      props.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    );
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      layerVersionName: `${props.prefix}-${path.basename(folder)}`,
      description: shape.description.slice(0, 256),
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      code: lambda.Code.fromAsset(folder, {
        assetHash,
        assetHashType: AssetHashType.CUSTOM,
        bundling: {
          // Never used: local bundling always succeeds (the packages are copied from node_modules).
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
          local: {
            tryBundle: (outputDir: string) => {
              assembleLayer(closure, outputDir);
              return true;
            },
          },
        },
      }),
    });
  }
}
