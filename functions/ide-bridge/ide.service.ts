/**
 * The IDE bridge's use cases: analysis by the real compilers and parsers, and model help whose edits those
 * analyzers check before anyone sees them. Each takes its ports (analyzers, model, usage store, the default
 * model setting) and a validated request; the REST handlers and the MCP tools (through ide-bridge.public.ts)
 * call the same functions.
 */
import { PayloadTooLargeError, ServiceUnavailableError, ValidationError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';
import { type AnalysisInput, type Analyzer, diagnosticKey, sameRange } from './analyzer.ts';
import type { CodeModel, CodeModelAnswer, ProviderName } from './code-model.ts';
import { applyEdits, checkedOffset, checkedRange } from './documents.ts';
import {
  type AnalyzeRequest,
  type AnalyzeResponse,
  type CompleteRequest,
  type CompleteResponse,
  type CompletionItem,
  type Diagnostic,
  type EditResponse,
  type ExplainRequest,
  type ExplainResponse,
  type FixRequest,
  type FixResponse,
  type GenerateRequest,
  type InlineRequest,
  type InlineResponse,
  LIMITS,
  MAX_USAGE_DAYS,
  type ModelChoice,
  type ModelOutcome,
  type ProposedFix,
  type RefactorRequest,
  type RejectedEdit,
  type SourceFile,
  type UsageQuery,
  type UsageResponse,
  type WorkspaceEdit,
} from './ide-bridge.contracts.ts';
import { ModelNotConfiguredError } from './ide.errors.ts';
import { type AnalyzerKind, type LanguageSpec, languageOf } from './languages.ts';
import { cleanInline, codeIn, describeDiagnostics, EDIT_FORMAT, parseCompletions, parseEditAnswer, projectContext, resolveEdits } from './prompts.ts';
import type { IdeRoute, UsageRepository } from './usage.ts';

export interface IdePorts {
  analyzer: (kind: AnalyzerKind) => Analyzer;
  model: CodeModel;
  usage: () => Promise<UsageRepository>;
  /** The deployment's `ideDefaultModel` setting (`provider:model`), if set. */
  defaultModel: string | undefined;
}

/** The model each provider defaults to when the deployment names none (`ideDefaultModel` unset). */
export const BUILT_IN_MODELS: Record<ProviderName, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku-4-5' };

// ---------------------------------------------------------------------------------------------- input

/** Which file names belong to a language: those files are analyzed; others travel along as context. */
const EXTENSIONS: Record<AnalyzerKind | string, RegExp> = {
  typescript: /\.([cm]?tsx?|[cm]?jsx?)$/i,
  python: /\.pyi?$/i,
  go: /\.go$/i,
  rust: /\.rs$/i,
  java: /\.java$/i,
  csharp: /\.(cs|csx)$/i,
  c: /\.(c|h)$/i,
  cpp: /\.(cc|cpp|cxx|c\+\+|hh|hpp|hxx|h|ipp|inl)$/i,
  ruby: /\.(rb|rake|gemspec)$/i,
  php: /\.(php|phtml)$/i,
  css: /\.css$/i,
  shellscript: /\.(sh|bash|zsh)$/i,
  powershell: /\.(ps1|psm1|psd1)$/i,
  ini: /\.(ini|cfg|conf)$/i,
  json: /\.json$/i,
  jsonc: /\.(jsonc|json)$/i,
  yaml: /\.ya?ml$/i,
  html: /\.html?$/i,
};

const belongsTo = (spec: LanguageSpec, filePath: string): boolean => {
  const pattern = spec.analyzer === 'typescript' ? EXTENSIONS.typescript! : EXTENSIONS[spec.id];
  // A file with no extension at all (a script, a Dockerfile-like name) is taken to be in the request's language.
  return !/\.[^/]+$/.test(filePath) || (pattern?.test(filePath) ?? false);
};

// Control characters that do not occur in text files (NUL is already refused by the HTTP stack).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const BINARY = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/;

interface Prepared {
  spec: LanguageSpec;
  analyzer: Analyzer;
  files: SourceFile[];
}

/** Language, limits (413), duplicate paths, binary content, and the target's presence, checked once. */
const prepare = (
  ports: IdePorts,
  request: { language: string; files: SourceFile[]; target?: string | undefined },
  targetMustExist: boolean,
): Prepared => {
  const spec = languageOf(request.language);
  const { files } = request;
  if (files.length > LIMITS.files) throw new PayloadTooLargeError(`At most ${LIMITS.files} files per request (got ${files.length})`);
  let total = 0;
  const seen = new Set<string>();
  for (const [i, file] of files.entries()) {
    const bytes = Buffer.byteLength(file.content, 'utf8');
    if (bytes > LIMITS.fileBytes) {
      throw new PayloadTooLargeError(`${file.path} is ${bytes} bytes; at most ${LIMITS.fileBytes} per file`, [
        { path: `body.files.${i}.content`, message: `At most ${LIMITS.fileBytes} bytes` },
      ]);
    }
    total += bytes;
    if (seen.has(file.path))
      throw new ValidationError(`${file.path} is given twice`, [{ path: `body.files.${i}.path`, message: 'Each path may be given once' }]);
    seen.add(file.path);
    if (BINARY.test(file.content)) {
      throw new ValidationError(`${file.path} looks binary`, [
        { path: `body.files.${i}.content`, message: 'Binary content (control characters); send text files only' },
      ]);
    }
  }
  if (total > LIMITS.totalBytes) throw new PayloadTooLargeError(`The files add up to ${total} bytes; at most ${LIMITS.totalBytes} per request`);
  if (targetMustExist && request.target !== undefined && !seen.has(request.target)) {
    throw new ValidationError('The target is not among the files', [{ path: 'body.target', message: 'Must be the path of one of the files' }]);
  }
  return { spec, analyzer: ports.analyzer(spec.analyzer), files };
};

const contentOf = (files: readonly SourceFile[], filePath: string): string => files.find((f) => f.path === filePath)?.content ?? '';

const reportable = (spec: LanguageSpec, files: readonly SourceFile[]): string[] => files.filter((f) => belongsTo(spec, f.path)).map((f) => f.path);

const analysisInput = (p: Prepared, report: readonly string[], options?: Record<string, unknown>): AnalysisInput => ({
  files: p.files,
  report,
  language: p.spec.id,
  options,
});

const errorsOf = (diagnostics: readonly Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => d.severity === 'error');

/** The errors of `after` that `before` did not have (compared by file, code and message: edits move ranges). */
export const introducedErrors = (before: readonly Diagnostic[], after: readonly Diagnostic[]): Diagnostic[] => {
  const counts = new Map<string, number>();
  for (const d of errorsOf(before)) counts.set(diagnosticKey(d), (counts.get(diagnosticKey(d)) ?? 0) + 1);
  const introduced: Diagnostic[] = [];
  for (const d of errorsOf(after)) {
    const left = counts.get(diagnosticKey(d)) ?? 0;
    if (left > 0) counts.set(diagnosticKey(d), left - 1);
    else introduced.push(d);
  }
  return introduced;
};

/** Which of `wanted` are gone in `after` (as many of each kind as disappeared). */
const resolvedBy = (wanted: readonly Diagnostic[], before: readonly Diagnostic[], after: readonly Diagnostic[]): Diagnostic[] => {
  const count = (list: readonly Diagnostic[], key: string) => list.filter((d) => diagnosticKey(d) === key).length;
  const budget = new Map<string, number>();
  const fixed: Diagnostic[] = [];
  for (const d of wanted) {
    const key = diagnosticKey(d);
    if (!budget.has(key)) budget.set(key, count(before, key) - count(after, key));
    const left = budget.get(key)!;
    if (left > 0) {
      fixed.push(d);
      budget.set(key, left - 1);
    }
  }
  return fixed;
};

/** The request's files with an edit applied (new files added); a bad edit is reported, not thrown. */
const applyWorkspaceEdit = (files: readonly SourceFile[], edit: WorkspaceEdit): SourceFile[] | string => {
  const out = files.map((f) => ({ ...f }));
  try {
    for (const [filePath, edits] of Object.entries(edit.changes)) {
      const file = out.find((f) => f.path === filePath);
      if (file) file.content = applyEdits(file.content, edits);
      else out.push({ path: filePath, content: applyEdits('', edits) });
    }
  } catch (error) {
    return error instanceof Error ? error.message : 'The edits do not apply';
  }
  return out;
};

// ---------------------------------------------------------------------------------------------- models

const parseSetting = (value: string): ModelChoice => {
  const match = /^(openai|anthropic):(.+)$/.exec(value.trim());
  if (!match)
    throw new ServiceUnavailableError('The deployment\'s ideDefaultModel setting is not of the form provider:model (e.g. "openai:gpt-4o-mini")');
  return { provider: match[1] as ProviderName, name: match[2]!.trim() };
};

/** The request's model, else the deployment's setting, else the first configured provider's built-in model. */
const chooseModel = async (ports: IdePorts, requested: ModelChoice | undefined): Promise<{ choice: ModelChoice; configured: boolean }> => {
  if (requested) return { choice: requested, configured: await ports.model.configured(requested.provider) };
  if (ports.defaultModel?.trim()) {
    const choice = parseSetting(ports.defaultModel);
    return { choice, configured: await ports.model.configured(choice.provider) };
  }
  for (const provider of ['openai', 'anthropic'] as const) {
    if (await ports.model.configured(provider)) return { choice: { provider, name: BUILT_IN_MODELS[provider] }, configured: true };
  }
  return { choice: { provider: 'openai', name: BUILT_IN_MODELS.openai }, configured: false };
};

const requireModel = async (ports: IdePorts, requested: ModelChoice | undefined): Promise<ModelChoice> => {
  const { choice, configured } = await chooseModel(ports, requested);
  if (!configured) {
    throw new ModelNotConfiguredError(
      `No ${choice.provider} model provider is configured in this deployment (set its API key${choice.provider === 'openai' ? ' or OPENAI_BASE_URL' : ' or ANTHROPIC_BASE_URL'}, or name another provider in "model")`,
    );
  }
  return choice;
};

const callModel = async (
  ports: IdePorts,
  principal: Principal,
  route: IdeRoute,
  choice: ModelChoice,
  prompt: { system: string; user: string; maxTokens: number; timeoutMs: number },
): Promise<{ answer: CodeModelAnswer; outcome: ModelOutcome }> => {
  const answer = await ports.model.generate({ model: choice, ...prompt });
  await (await ports.usage()).record({
    tenantId: principal.tenantId,
    userId: principal.userId,
    route,
    provider: choice.provider,
    model: choice.name,
    inputTokens: answer.usage.inputTokens,
    outputTokens: answer.usage.outputTokens,
  });
  return { answer, outcome: { provider: choice.provider, name: choice.name, status: 'ok', usage: answer.usage } };
};

const SYSTEM = 'You are a precise coding assistant inside an editor. Follow the requested answer format exactly.';

// ---------------------------------------------------------------------------------------------- analyze

export const analyze = async (ports: IdePorts, _principal: Principal, request: AnalyzeRequest): Promise<AnalyzeResponse> => {
  const p = prepare(ports, request, true);
  const report = request.target ? [request.target] : reportable(p.spec, p.files);
  const result = await p.analyzer.analyze(analysisInput(p, report, request.options));
  return { language: p.spec.id, analyzer: result.analyzer, analyzed: report, diagnostics: result.diagnostics };
};

// ---------------------------------------------------------------------------------------------- complete, inline

const PREFIX_CHARS = 6000;
const SUFFIX_CHARS = 2000;

export const complete = async (ports: IdePorts, principal: Principal, request: CompleteRequest): Promise<CompleteResponse> => {
  const p = prepare(ports, request, true);
  const content = contentOf(p.files, request.target);
  const offset = checkedOffset(content, request.position, 'body.position');
  const compiler = p.analyzer.complete
    ? await p.analyzer.complete(analysisInput(p, [request.target], request.options), request.target, request.position, request.maxItems + 1)
    : [];
  let items: CompletionItem[] = compiler.slice(0, request.maxItems);
  let isIncomplete = compiler.length > request.maxItems;
  let model: ModelOutcome | null = null;
  if (request.useModel) {
    const { choice, configured } = await chooseModel(ports, request.model);
    if (!configured) {
      model = { provider: choice.provider, name: choice.name, status: 'not-configured', detail: `No ${choice.provider} provider is configured` };
    } else {
      try {
        const { answer, outcome } = await callModel(ports, principal, 'complete', choice, {
          system: SYSTEM,
          user: [
            `Suggest up to 5 completions for the cursor position <CURSOR> in this ${p.spec.id} file (${request.target}).`,
            'Answer with a JSON array of strings only: each string is the text to insert at the cursor.',
            '',
            `${content.slice(Math.max(0, offset - PREFIX_CHARS), offset)}<CURSOR>${content.slice(offset, offset + SUFFIX_CHARS)}`,
          ].join('\n'),
          maxTokens: 256,
          timeoutMs: 10_000,
        });
        const suggestions = parseCompletions(answer.text);
        if (!suggestions) {
          model = { ...outcome, status: 'failed', detail: 'The model answered something that is not a list of completions' };
        } else {
          model = outcome;
          const known = new Set(items.map((i) => i.label));
          const fromModel = suggestions
            .filter((s) => !known.has(s.label))
            .map(
              (s, i): CompletionItem => ({
                label: s.label,
                kind: 1,
                sortText: `0${String(i).padStart(2, '0')}`,
                insertText: s.insertText,
                source: 'model',
              }),
            );
          items = [...fromModel, ...items].slice(0, request.maxItems);
          isIncomplete ||= fromModel.length + compiler.length > request.maxItems;
        }
      } catch (error) {
        // The compiler's items still help; say why the model's are missing.
        model = {
          provider: choice.provider,
          name: choice.name,
          status: 'failed',
          detail: error instanceof Error ? error.message : 'The model call failed',
        };
      }
    }
  }
  return { items, isIncomplete, analyzer: p.analyzer.complete ? p.analyzer.info() : null, model };
};

export const inline = async (ports: IdePorts, principal: Principal, request: InlineRequest): Promise<InlineResponse> => {
  const p = prepare(ports, request, true);
  const content = contentOf(p.files, request.target);
  const offset = checkedOffset(content, request.position, 'body.position');
  const choice = await requireModel(ports, request.model);
  const prefix = content.slice(Math.max(0, offset - PREFIX_CHARS), offset);
  const suffix = content.slice(offset, offset + SUFFIX_CHARS);
  const { answer, outcome } = await callModel(ports, principal, 'inline', choice, {
    system: SYSTEM,
    user: [
      `Continue the ${p.spec.id} code at <CURSOR> in ${request.target}: the rest of the line, or the rest of the block (at most ${request.maxLines} lines).`,
      'Answer with only the text to insert at the cursor: no explanation, no code fences, nothing that is already before or after the cursor.',
      '',
      `${prefix}<CURSOR>${suffix}`,
    ].join('\n'),
    maxTokens: 256,
    timeoutMs: 10_000,
  });
  const linePrefix = prefix.slice(prefix.lastIndexOf('\n') + 1);
  const text = cleanInline(answer.text, linePrefix, suffix, request.maxLines);
  return { text, range: { start: request.position, end: request.position }, model: outcome };
};

// ---------------------------------------------------------------------------------------------- fix

export const fix = async (ports: IdePorts, principal: Principal, request: FixRequest): Promise<FixResponse> => {
  const p = prepare(ports, request, true);
  const report = [...new Set([request.target, ...reportable(p.spec, p.files)])];
  const before = await p.analyzer.analyze(analysisInput(p, report, request.options));
  const ofTarget = before.diagnostics.filter((d) => d.path === request.target);
  const content = contentOf(p.files, request.target);
  for (const [i, ref] of (request.diagnostics ?? []).entries()) checkedRange(content, ref.range, `body.diagnostics.${i}.range`);
  // Diagnostics named by the caller are matched to the current ones by range (and code, when given).
  const wanted = request.diagnostics
    ? ofTarget.filter((d) => request.diagnostics!.some((ref) => sameRange(ref.range, d.range) && (ref.code === undefined || ref.code === d.code)))
    : errorsOf(ofTarget);

  const formatting = request.formatting ?? { tabSize: 2, insertSpaces: true };
  const fixes: ProposedFix[] = [];
  const rejected: RejectedEdit[] = [];
  const compilerFixes =
    wanted.length && p.analyzer.codeFixes
      ? await p.analyzer.codeFixes(analysisInput(p, report, request.options), request.target, wanted, formatting)
      : [];
  for (const f of compilerFixes) fixes.push({ title: f.title, source: 'compiler', edit: f.edit, fixes: [f.fixes] });
  const covered = (d: Diagnostic) => fixes.some((f) => f.fixes.includes(d));

  let model: ModelOutcome | null = null;
  const left = wanted.filter((d) => !covered(d));
  if (request.useModel && left.length > 0) {
    const choice = await requireModel(ports, request.model);
    const { answer, outcome } = await callModel(ports, principal, 'fix', choice, {
      system: SYSTEM,
      user: [
        `Fix these diagnostics of ${request.target} (${p.spec.id}), reported by ${before.analyzer.name} ${before.analyzer.version}:`,
        describeDiagnostics(left),
        '',
        EDIT_FORMAT,
        '',
        projectContext(p.files, request.target),
      ].join('\n'),
      maxTokens: 4096,
      timeoutMs: 25_000,
    });
    model = outcome;
    const verdict = await verifyModelEdits(p, report, request.options, answer.text, before.diagnostics, (after) => {
      const fixed = resolvedBy(left, before.diagnostics, after);
      return fixed.length > 0 ? { fixed } : { reason: 'The edit fixes none of the diagnostics' };
    });
    if ('rejected' in verdict) rejected.push(verdict.rejected);
    else fixes.push({ title: verdict.explanation || 'Fix proposed by the model', source: 'model', edit: verdict.edit, fixes: verdict.fixed });
  }
  return { analyzer: before.analyzer, diagnostics: wanted, fixes, rejected, unfixed: wanted.filter((d) => !covered(d)), model };
};

type Verdict = { edit: WorkspaceEdit; explanation: string; fixed: Diagnostic[]; after: Diagnostic[] } | { rejected: RejectedEdit };

/**
 * A model's answer, parsed, applied to a copy of the files and analyzed again: refused (never applied) when
 * it does not parse, does not apply, adds an error, or `judge` finds it useless.
 */
const verifyModelEdits = async (
  p: Prepared,
  report: readonly string[],
  options: Record<string, unknown> | undefined,
  answer: string | { edit: WorkspaceEdit; explanation: string },
  before: readonly Diagnostic[],
  judge: (after: Diagnostic[]) => { fixed: Diagnostic[] } | { reason: string },
): Promise<Verdict> => {
  let edit: WorkspaceEdit;
  let explanation = '';
  if (typeof answer === 'string') {
    const parsed = parseEditAnswer(answer);
    if (!parsed.ok) return { rejected: { source: 'model', reason: parsed.reason } };
    const resolved = resolveEdits(p.files, parsed.edits, LIMITS.pathLength);
    if (!resolved.ok) return { rejected: { source: 'model', reason: resolved.reason } };
    edit = resolved.edit;
    explanation = parsed.explanation;
  } else {
    ({ edit, explanation } = answer);
  }
  const edited = applyWorkspaceEdit(p.files, edit);
  if (typeof edited === 'string') return { rejected: { source: 'model', reason: `The model's edit does not apply: ${edited}` } };
  const created = edited.filter((f) => !p.files.some((o) => o.path === f.path) && belongsTo(p.spec, f.path)).map((f) => f.path);
  const after = await p.analyzer.analyze({ files: edited, report: [...report, ...created], language: p.spec.id, options });
  const introduced = introducedErrors(before, after.diagnostics);
  if (introduced.length > 0) {
    return { rejected: { source: 'model', reason: `The model's edit adds ${introduced.length} error(s); it was dropped`, introduced } };
  }
  const judged = judge(after.diagnostics);
  if ('reason' in judged) return { rejected: { source: 'model', reason: judged.reason } };
  return { edit, explanation, fixed: judged.fixed, after: after.diagnostics };
};

// ---------------------------------------------------------------------------------------------- generate, refactor, explain

const editResponse = (analyzerInfo: EditResponse['analyzer'], before: readonly Diagnostic[], verdict: Verdict, model: ModelOutcome): EditResponse =>
  'rejected' in verdict
    ? { edit: null, explanation: '', analyzer: analyzerInfo, before: errorsOf(before), after: [], rejected: [verdict.rejected], model }
    : {
        edit: verdict.edit,
        explanation: verdict.explanation,
        analyzer: analyzerInfo,
        before: errorsOf(before),
        after: errorsOf(verdict.after),
        rejected: [],
        model,
      };

export const generate = async (ports: IdePorts, principal: Principal, request: GenerateRequest): Promise<EditResponse> => {
  const p = prepare(ports, request, false);
  const exists = p.files.some((f) => f.path === request.target);
  const content = contentOf(p.files, request.target);
  const offset = request.position && exists ? checkedOffset(content, request.position, 'body.position') : undefined;
  if (request.position && !exists) {
    throw new ValidationError('A position needs an existing target', [
      { path: 'body.position', message: 'The target is a new file; leave the position out' },
    ]);
  }
  const choice = await requireModel(ports, request.model);
  const report = reportable(p.spec, p.files);
  const before = await p.analyzer.analyze(analysisInput(p, report, request.options));
  const where =
    offset !== undefined
      ? `Write the code to insert at <CURSOR> in ${request.target}. Answer with the code only, in one fenced code block.`
      : exists
        ? `Change ${request.target} as asked.\n${EDIT_FORMAT}`
        : `Write the new file ${request.target}. Answer with its whole content only, in one fenced code block.`;
  const context =
    offset !== undefined
      ? projectContext(
          p.files.map((f) => (f.path === request.target ? { ...f, content: `${content.slice(0, offset)}<CURSOR>${content.slice(offset)}` } : f)),
          request.target,
        )
      : projectContext(p.files, request.target);
  const { answer, outcome } = await callModel(ports, principal, 'generate', choice, {
    system: SYSTEM,
    user: [`Instruction: ${request.instruction}`, '', `Language: ${p.spec.id}. ${where}`, '', context].join('\n'),
    maxTokens: 4096,
    timeoutMs: 25_000,
  });
  // Code for a position or a new file becomes the one edit; otherwise the answer is find/replace edits.
  const code = codeIn(answer.text);
  const direct: { edit: WorkspaceEdit; explanation: string } | undefined =
    offset !== undefined
      ? { edit: { changes: { [request.target]: [{ range: { start: request.position!, end: request.position! }, newText: code }] } }, explanation: '' }
      : !exists
        ? {
            edit: {
              changes: { [request.target]: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: `${code}\n` }] },
            },
            explanation: '',
          }
        : undefined;
  if (direct && code.trim() === '') {
    return editResponse(before.analyzer, before.diagnostics, { rejected: { source: 'model', reason: 'The model answered no code' } }, outcome);
  }
  const verdict = await verifyModelEdits(p, report, request.options, direct ?? answer.text, before.diagnostics, () => ({ fixed: [] }));
  return editResponse(before.analyzer, before.diagnostics, verdict, outcome);
};

export const refactor = async (ports: IdePorts, principal: Principal, request: RefactorRequest): Promise<EditResponse> => {
  const p = prepare(ports, request, true);
  const content = contentOf(p.files, request.target);
  const { start, end } = checkedRange(content, request.range, 'body.range');
  const choice = await requireModel(ports, request.model);
  const report = [...new Set([request.target, ...reportable(p.spec, p.files)])];
  const before = await p.analyzer.analyze(analysisInput(p, report, request.options));
  const selection = content.slice(start, end);
  const { answer, outcome } = await callModel(ports, principal, 'refactor', choice, {
    system: SYSTEM,
    user: [
      `Refactor the selected ${p.spec.id} code of ${request.target} as instructed: ${request.instruction}`,
      'Answer with the code that replaces the selection only, in one fenced code block. If other parts of the project must change too',
      `(callers, imports), answer instead with JSON edits that include the selection's replacement:\n${EDIT_FORMAT}`,
      '',
      'Selection:',
      '```',
      selection,
      '```',
      '',
      projectContext(p.files, request.target),
    ].join('\n'),
    maxTokens: 4096,
    timeoutMs: 25_000,
  });
  const json = parseEditAnswer(answer.text);
  const replacement = json.ok
    ? undefined
    : { edit: { changes: { [request.target]: [{ range: request.range, newText: codeIn(answer.text) }] } }, explanation: '' };
  // "No worse than the input": any error the input did not have drops the edit.
  const verdict = await verifyModelEdits(p, report, request.options, replacement ?? answer.text, before.diagnostics, () => ({ fixed: [] }));
  return editResponse(before.analyzer, before.diagnostics, verdict, outcome);
};

export const explain = async (ports: IdePorts, principal: Principal, request: ExplainRequest): Promise<ExplainResponse> => {
  const p = prepare(ports, request, true);
  const content = contentOf(p.files, request.target);
  const { start, end } = checkedRange(content, request.range, 'body.range');
  const choice = await requireModel(ports, request.model);
  const { answer, outcome } = await callModel(ports, principal, 'explain', choice, {
    system: SYSTEM,
    user: [
      request.question ?? 'Explain what the selected code does, briefly, for a developer reading it.',
      '',
      `Selection (${request.target}, ${p.spec.id}):`,
      '```',
      content.slice(start, end),
      '```',
      '',
      projectContext(p.files, request.target),
    ].join('\n'),
    maxTokens: 1024,
    timeoutMs: 25_000,
  });
  return { text: answer.text.trim(), model: outcome };
};

// ---------------------------------------------------------------------------------------------- usage

const DAY_MS = 24 * 60 * 60 * 1000;

/** The caller's tenant's model tokens per provider and model in [from, to) (default: the last 30 days). */
export const usage = async (ports: Pick<IdePorts, 'usage'>, principal: Principal, query: UsageQuery, now = new Date()): Promise<UsageResponse> => {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new ValidationError('from must be before to', [{ path: 'query.from', message: 'Must be before to' }]);
  if (to.getTime() - from.getTime() > MAX_USAGE_DAYS * DAY_MS) {
    throw new ValidationError(`The window is longer than ${MAX_USAGE_DAYS} days`, [
      { path: 'query.from', message: `At most ${MAX_USAGE_DAYS} days before to` },
    ]);
  }
  const items = await (await ports.usage()).totals(principal.tenantId, from, to);
  return { from: from.toISOString(), to: to.toISOString(), items };
};
