/**
 * JSON, YAML and HTML through the parsers their editors use, each reporting where it failed: jsonc-parser
 * (VS Code's JSON parser: strict JSON for `json`, comments and trailing commas allowed for `jsonc`), yaml
 * (YAML 1.2, every document of a stream, duplicate keys included) and, for HTML, two: parse5 reports the
 * WHATWG tokenizer's parse errors (duplicate attributes, bad characters, a missing doctype in a document; a
 * file without `<html>` or a doctype is parsed as a fragment) but not the tree builder's, so
 * angular-html-parser (Prettier's HTML parser) adds the structural ones (a closing tag with no open element,
 * end tags of void elements). All offsets are UTF-16, like LSP's characters.
 */
import type * as AngularHtml from 'angular-html-parser';
import type * as Jsonc from 'jsonc-parser';
import type * as Parse5 from 'parse5';
import type * as Yaml from 'yaml';
import type { AnalysisInput, AnalysisResult, Analyzer } from '../analyzer.ts';
import { rangeOf } from '../documents.ts';
import type { AnalyzerInfo, Diagnostic } from '../ide-bridge.contracts.ts';
import { loadModule, packageVersion } from './layer-modules.ts';

type Format = 'json' | 'yaml' | 'html';

const contentOf = (input: AnalysisInput, filePath: string): string => input.files.find((f) => f.path === filePath)!.content;

/** `end-tag-without-matching-open-element` -> `End tag without matching open element`. */
const sentence = (code: string): string => {
  const words = code.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export class DataFormatAnalyzer implements Analyzer {
  readonly #format: Format;

  constructor(format: Format) {
    this.#format = format;
  }

  info(): AnalyzerInfo {
    const pkg = { json: 'jsonc-parser', yaml: 'yaml', html: 'parse5' }[this.#format];
    const detail = this.#format === 'html' ? { detail: `structure checked by angular-html-parser ${packageVersion('angular-html-parser')}` } : {};
    return { name: pkg, version: packageVersion(pkg), ...detail };
  }

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    const diagnostics = input.report.flatMap((filePath) => {
      const content = contentOf(input, filePath);
      if (this.#format === 'json') return this.json(filePath, content, input.language === 'jsonc');
      if (this.#format === 'yaml') return this.yaml(filePath, content);
      return this.html(filePath, content);
    });
    return { analyzer: this.info(), diagnostics };
  }

  private json(filePath: string, content: string, lenient: boolean): Diagnostic[] {
    const jsonc = loadModule<typeof Jsonc>('jsonc-parser');
    const errors: Jsonc.ParseError[] = [];
    jsonc.parse(content, errors, { disallowComments: !lenient, allowTrailingComma: lenient, allowEmptyContent: false });
    return errors.map((e) => {
      const code = jsonc.printParseErrorCode(e.error);
      return {
        path: filePath,
        range: rangeOf(content, e.offset, e.offset + e.length),
        severity: 'error' as const,
        code,
        message: sentence(code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()),
        source: 'json',
      };
    });
  }

  private yaml(filePath: string, content: string): Diagnostic[] {
    const yaml = loadModule<typeof Yaml>('yaml');
    const out: Diagnostic[] = [];
    for (const doc of yaml.parseAllDocuments(content, { prettyErrors: false })) {
      for (const [problems, severity] of [
        [doc.errors, 'error'],
        [doc.warnings, 'warning'],
      ] as const) {
        for (const p of problems) {
          out.push({
            path: filePath,
            range: rangeOf(content, p.pos[0], Math.max(p.pos[0], p.pos[1])),
            severity,
            code: p.code,
            message: p.message,
            source: 'yaml',
          });
        }
      }
    }
    return out;
  }

  private html(filePath: string, content: string): Diagnostic[] {
    const parse5 = loadModule<typeof Parse5>('parse5');
    const out: Diagnostic[] = [];
    const onParseError = (e: Parse5.ParserError): void => {
      out.push({
        path: filePath,
        range: rangeOf(content, e.startOffset, Math.max(e.startOffset, e.endOffset)),
        severity: 'error',
        code: e.code,
        message: sentence(e.code),
        source: 'html',
      });
    };
    if (/<!doctype|<html[\s>]/i.test(content)) parse5.parse(content, { onParseError });
    else parse5.parseFragment(content, { onParseError });
    const structure = loadModule<typeof AngularHtml>('angular-html-parser').parse(content, { canSelfClose: true });
    for (const e of structure.errors) {
      out.push({
        path: filePath,
        range: rangeOf(content, e.span.start.offset, e.span.end.offset),
        severity: 'error',
        code: 'structure',
        // Its messages end in a long link to the standard; the sentence before it says it all.
        message: e.msg.replace(/\s*For more info see \S+$/, ''),
        source: 'html',
      });
    }
    return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  }
}
