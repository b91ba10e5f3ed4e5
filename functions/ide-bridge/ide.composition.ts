/**
 * The IDE bridge's composition root: each analyzer built on first use and kept for the container's life
 * (that is what makes warm requests fast: loaded compilers, parsed standard libraries, a running pyright),
 * the model port on the agents domain's providers, usage in PostgreSQL, the default model setting.
 */
import { getPool } from '#shared/db.ts';
import { AppError, UnprocessableContentError } from '#shared/errors.ts';
import { logger } from '#shared/observability.ts';
import { settings } from '#shared/resources.ts';
import type { Analyzer } from './analyzer.ts';
import { DataFormatAnalyzer } from './analyzers/data-formats.analyzer.ts';
import { PyrightAnalyzer } from './analyzers/pyright.analyzer.ts';
import { TreeSitterAnalyzer } from './analyzers/tree-sitter.analyzer.ts';
import { TypeScriptAnalyzer } from './analyzers/typescript.analyzer.ts';
import { codeModel } from './code-model.adapter.ts';
import type { IdePorts } from './ide.service.ts';
import type { AnalyzerKind } from './languages.ts';
import { PgUsageRepository } from './usage.repository.ts';
import type { UsageRepository } from './usage.ts';

const analyzers = new Map<AnalyzerKind, Analyzer>();

/**
 * An analyzer that throws on some input (the TypeScript compiler runs out of stack on a few thousand nested
 * brackets) has been given input it cannot take: a 422 naming the analyzer, not a 500. The cause is logged.
 */
const guarded = (inner: Analyzer): Analyzer => {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      logger.warn('An analyzer failed on its input', { analyzer: inner.info().name, error: error as Error });
      throw new UnprocessableContentError(
        `${inner.info().name} could not analyze these files (${error instanceof Error ? error.message : 'it failed'})`,
        [{ path: 'body.files', message: 'The analyzer failed on this content (e.g. nesting too deep)' }],
      );
    }
  };
  return {
    info: () => inner.info(),
    analyze: (input) => guard(() => inner.analyze(input)),
    ...(inner.complete ? { complete: (...args: Parameters<NonNullable<Analyzer['complete']>>) => guard(() => inner.complete!(...args)) } : {}),
    ...(inner.codeFixes ? { codeFixes: (...args: Parameters<NonNullable<Analyzer['codeFixes']>>) => guard(() => inner.codeFixes!(...args)) } : {}),
  };
};

const create: Record<AnalyzerKind, () => Analyzer> = {
  typescript: () => new TypeScriptAnalyzer(),
  pyright: () => new PyrightAnalyzer(),
  'tree-sitter': () => new TreeSitterAnalyzer(),
  json: () => new DataFormatAnalyzer('json'),
  yaml: () => new DataFormatAnalyzer('yaml'),
  html: () => new DataFormatAnalyzer('html'),
};

export const analyzer = (kind: AnalyzerKind): Analyzer => {
  let found = analyzers.get(kind);
  if (!found) {
    found = guarded(create[kind]());
    analyzers.set(kind, found);
  }
  return found;
};

const usageRepository = async (): Promise<UsageRepository> => new PgUsageRepository(await getPool());

export const idePorts = (): IdePorts => ({
  analyzer,
  model: codeModel(),
  usage: usageRepository,
  // Read per request: locally the setting is the environment, which a test or an operator may change.
  defaultModel: process.env[settings.ideDefaultModel.env],
});
