/**
 * Derives the JSON Schemas of LSP 3.18 from the TypeScript types that `vscode-languageserver-protocol` ships,
 * so the protocol registry and validator (functions/protocols/registry/) describe exactly what the dependency
 * declares: upgrading the package and re-running this upgrades the schemas. Nothing of the specification is
 * copied into the repository; the output is a generated, git-ignored file.
 *
 *   node scripts/generate-lsp-schemas.ts [--force]        (npm run generate; npm's `prepare` runs it after installs)
 *
 * How: every namespace of the package that declares a `method` and a `type` (`HoverRequest`, ...) is one
 * message; the type arguments of its `ProtocolRequestType<Params, Result, ...>` / `ProtocolNotificationType<Params>`
 * name the params and result types. A synthetic module aliases them, and ts-json-schema-generator turns the
 * aliases (and everything they reach) into draft-07 definitions. The message direction comes from the
 * package's own runtime value. Skipped when the output already matches the installed versions.
 *
 * Written to functions/protocols/registry/generated/lsp-3.18.json, imported by lsp-schemas.adapter.ts, so
 * esbuild inlines it into the Lambda bundle: nothing is read from disk at run time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createGenerator } from 'ts-json-schema-generator';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const outFile = path.join(root, 'functions/protocols/registry/generated/lsp-3.18.json');
const force = process.argv.includes('--force');

const versionOf = (pkg: string): string => {
  // The package's "exports" hide package.json; walk up from its entry point instead.
  let dir = path.dirname(require.resolve(pkg));
  while (!existsSync(path.join(dir, 'package.json')) || JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== pkg) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the package.json of ${pkg}`);
    dir = parent;
  }
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version as string;
};

const source = {
  package: 'vscode-languageserver-protocol',
  version: versionOf('vscode-languageserver-protocol'),
  generator: `ts-json-schema-generator@${versionOf('ts-json-schema-generator')}`,
};

if (!force && existsSync(outFile)) {
  try {
    const current = JSON.parse(readFileSync(outFile, 'utf8')) as { source?: typeof source };
    if (JSON.stringify(current.source) === JSON.stringify(source)) {
      process.stderr.write(`LSP schemas are up to date (${source.package}@${source.version})\n`);
      process.exit(0);
    }
  } catch {
    // Unreadable: generate again.
  }
}

const started = performance.now();
const entry = require.resolve('vscode-languageserver-protocol').replace(/\.js$/, '.d.ts');
const packagesDir = path.resolve(path.dirname(entry), '../../..');
const options: ts.CompilerOptions = {
  strict: true,
  skipLibCheck: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  noEmit: true,
};
const scan = ts.createProgram([entry], options);

interface Found {
  namespace: string;
  method: string;
  kind: 'request' | 'notification';
  params?: ts.TypeNode;
  result?: ts.TypeNode;
  file: ts.SourceFile;
}

const found: Found[] = [];
const typeKinds = /^(ProtocolRequestType0?|ProtocolNotificationType0?|NotificationType)$/;
for (const file of scan.getSourceFiles()) {
  if (!file.fileName.startsWith(packagesDir) || !/vscode-(languageserver-protocol|jsonrpc)/.test(file.fileName)) continue;
  const visit = (node: ts.Node): void => {
    if (ts.isModuleDeclaration(node) && node.body && ts.isModuleBlock(node.body)) {
      let method: string | undefined;
      let type: ts.TypeReferenceNode | undefined;
      for (const statement of node.body.statements) {
        if (!ts.isVariableStatement(statement)) continue;
        for (const d of statement.declarationList.declarations) {
          const name = d.name.getText(file);
          if (name === 'method' && d.type && ts.isLiteralTypeNode(d.type)) {
            const literal = d.type.literal;
            if (ts.isStringLiteral(literal) || ts.isNoSubstitutionTemplateLiteral(literal)) method = literal.text;
          }
          if (name === 'type' && d.type && ts.isTypeReferenceNode(d.type)) type = d.type;
        }
      }
      const kind = type?.typeName.getText(file);
      if (type && kind && typeKinds.test(kind)) {
        const args = type.typeArguments ?? [];
        const namespace = node.name.getText(file);
        // The two jsonrpc notifications ($/setTrace, $/logTrace) declare no `method`: their runtime value has it.
        const runtimeMethod = (require('vscode-languageserver-protocol') as Record<string, { type?: { method?: string } }>)[namespace]?.type?.method;
        const name = method ?? runtimeMethod;
        if (name) {
          const request = kind.startsWith('ProtocolRequestType');
          const zero = kind.endsWith('0');
          found.push({
            namespace,
            method: name,
            kind: request ? 'request' : 'notification',
            ...(!zero && args[0] ? { params: args[0] } : {}),
            ...(request ? { result: args[zero ? 0 : 1]! } : {}),
            file,
          });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

// The synthetic module: one exported alias per message part, importing every type name the parts mention.
const imported = new Set<string>();
const textOf = (node: ts.TypeNode, file: ts.SourceFile): string => {
  const walk = (n: ts.Node): void => {
    if (ts.isTypeReferenceNode(n)) imported.add(n.typeName.getText(file).split('.')[0]!);
    ts.forEachChild(n, walk);
  };
  walk(node);
  return node.getText(file);
};
const isVoid = (node: ts.TypeNode | undefined): boolean => !node || node.kind === ts.SyntaxKind.VoidKeyword;

const aliasLines: string[] = [];
const methods: Record<string, { kind: 'request' | 'notification'; direction: string; params?: string; result?: string }> = {};
const runtime = require('vscode-languageserver-protocol') as Record<string, { messageDirection?: string }>;
for (const f of found.sort((a, b) => a.method.localeCompare(b.method))) {
  if (methods[f.method]) continue;
  const entry: (typeof methods)[string] = { kind: f.kind, direction: runtime[f.namespace]?.messageDirection ?? 'both' };
  if (!isVoid(f.params)) {
    entry.params = `${f.namespace}_Params`;
    aliasLines.push(`export type ${f.namespace}_Params = ${textOf(f.params!, f.file)};`);
  }
  if (f.kind === 'request') {
    // A `void` result is JSON-RPC's `null`.
    entry.result = `${f.namespace}_Result`;
    aliasLines.push(`export type ${f.namespace}_Result = ${isVoid(f.result) ? 'null' : textOf(f.result!, f.file)};`);
  }
  methods[f.method] = entry;
}
// The JSON-RPC envelopes, from vscode-jsonrpc's own message types (re-exported by the protocol package).
for (const [alias, type] of [
  ['Message_Request', 'RequestMessage'],
  ['Message_Notification', 'NotificationMessage'],
  ['Message_Response', 'ResponseMessage'],
] as const) {
  imported.add(type);
  aliasLines.push(`export type ${alias} = ${type};`);
}
imported.delete('Array');
const syntheticName = path.join(root, 'scripts', '__lsp-messages__.ts');
const syntheticText = `import type { ${[...imported].sort().join(', ')} } from 'vscode-languageserver-protocol';\n${aliasLines.join('\n')}\n`;

const host = ts.createCompilerHost(options);
const getSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (name, languageVersion, ...rest) =>
  name === syntheticName ? ts.createSourceFile(name, syntheticText, languageVersion, true) : getSourceFile(name, languageVersion, ...rest);
const fileExists = host.fileExists.bind(host);
host.fileExists = (name) => name === syntheticName || fileExists(name);
const program = ts.createProgram([syntheticName], options, host, scan);
const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === syntheticName);
if (problems.length > 0) {
  throw new Error(`The synthetic LSP module does not compile:\n${ts.formatDiagnostics(problems, host)}`);
}

const generated = createGenerator({
  tsProgram: program,
  path: syntheticName,
  type: '*',
  expose: 'export',
  topRef: true,
  jsDoc: 'basic',
  // LSP objects are open: clients and servers add experimental fields, and a receiver ignores what it does not know.
  additionalProperties: true,
  skipTypeCheck: true,
  sortProps: false,
}).createSchema('*');

const definitions = { ...(generated.definitions ?? {}) } as Record<string, unknown>;
// LSP's numeric base types are plain `number` in TypeScript; their declarations' own comments give the ranges.
if (definitions.integer) definitions.integer = { type: 'integer', minimum: -2147483648, maximum: 2147483647, description: 'LSP integer' };
if (definitions.uinteger) definitions.uinteger = { type: 'integer', minimum: 0, maximum: 2147483647, description: 'LSP unsigned integer' };

const json = JSON.stringify({ protocol: 'lsp', version: '3.18', source, methods, definitions });

mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, json);
process.stderr.write(
  `Wrote ${path.relative(root, outFile)}: ${Object.keys(methods).length} LSP methods, ${Object.keys(definitions).length} definitions ` +
    `from ${source.package}@${source.version} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
