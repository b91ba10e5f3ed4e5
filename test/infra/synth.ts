/**
 * Synthesizes the platform app the way `cdk synth` does (same builder as bin/app.ts, cdk-nag plugin on) into
 * a temp folder. Bundling is the slow part (an esbuild process per function, a hundred of them, minutes on a
 * busy machine), and nothing here reads the bundles, so by default nothing is bundled (`bundle: true`
 * bundles every stack). That every function bundles is test/infra/bundles.test.ts's job, in one esbuild run;
 * the migrate bundle's SQL files are asserted in test/infra/migrations.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { manifest as platformManifest } from '#functions/manifest.ts';
import { flatten } from '#shared/manifest.types.ts';
import { createPlatformApp } from '../../lib/platform-app.ts';
import type { PlatformStack } from '../../lib/platform-stack.ts';

export const manifest = flatten(platformManifest);

export interface Synthesized {
  stack: PlatformStack;
  /** The parent stack's template. */
  parent: Template;
  /** Each domain's nested stack template, by domain name. */
  domains: Map<string, Template>;
  /** Every stack's resources in one template (logical ids are unique across them; checked). */
  template: Template;
  outdir: string;
  /** cdk-nag AwsSolutions findings left after acknowledgements, as `rule at construct path`. */
  nagFindings: string[];
  cleanup: () => void;
}

export const synthesize = (context: Record<string, string>, options: { bundle?: boolean } = {}): Synthesized => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'mls-infra-'));
  // `aws:cdk:bundling-stacks` is the CLI's --exclusively switch: stack paths (globs) whose assets are bundled
  // (a nested stack's assets follow its parent's setting).
  const bundling: Record<string, string> = { 'aws:cdk:bundling-stacks': (options.bundle ? ['**'] : []) as unknown as string };
  const { app, stack } = createPlatformApp({ manifest: platformManifest, context: { ...context, ...bundling }, outdir });
  // Throws if the registered AwsSolutions plugin reports anything; the explicit run below names findings.
  const parent = Template.fromStack(stack);
  const domains = new Map([...stack.domainStacks].map(([name, nested]) => [name, Template.fromStack(nested)]));
  const resources: Record<string, unknown> = {};
  for (const template of [parent, ...domains.values()]) {
    for (const [id, resource] of Object.entries(template.toJSON().Resources as Record<string, unknown>)) {
      if (id in resources) throw new Error(`logical id ${id} is used by two stacks`);
      resources[id] = resource;
    }
  }
  const template = Template.fromJSON({ Resources: resources, Outputs: parent.toJSON().Outputs });
  const report = new AwsSolutionsChecks().validateScope(app);
  const nagFindings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`));
  return { stack, parent, domains, template, outdir, nagFindings, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
};

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DependsOn?: string[] }>;

/** Manifest function name -> its Lambda resource (by FunctionName `mls-<stage>-<name>`). */
export const lambdaByName = (template: Template, stage: string): Map<string, { logicalId: string; props: Record<string, any> }> => {
  const found = new Map<string, { logicalId: string; props: Record<string, any> }>();
  for (const [logicalId, resource] of Object.entries(template.findResources('AWS::Lambda::Function') as Resources)) {
    const name = resource.Properties?.FunctionName;
    if (typeof name === 'string' && name.startsWith(`mls-${stage}-`))
      found.set(name.slice(`mls-${stage}-`.length), { logicalId, props: resource.Properties! });
  }
  return found;
};

/** Every IAM action granted to a function's role by the stack's policies. */
export const actionsOfRole = (template: Template, roleArn: unknown): string[] => {
  const roleLogicalId = (roleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
    ((p.Properties?.Roles ?? []) as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId),
  );
  return policies.flatMap((p) => (p.Properties!.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => [s.Action].flat()));
};

/**
 * What a value in a domain's nested template stands for in the parent: a `Ref` to one of the nested stack's
 * parameters resolves to what the parent passes in that parameter; anything else is returned as it is.
 */
export const resolveFromParent = (synth: Synthesized, domain: string, value: unknown): unknown => {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  const nested = synth.stack.domainStacks.get(domain);
  if (typeof ref !== 'string' || !nested) return value;
  const resource = synth.parent.toJSON().Resources[synth.stack.getLogicalId(nested.nestedStackResource as CfnResource)];
  return resource?.Properties?.Parameters?.[ref] ?? value;
};

/** The logical id of the `live` alias of a function (by its Lambda logical id): what callers invoke. */
export const aliasOf = (template: Template, functionLogicalId: string): string => {
  const found = Object.entries(template.findResources('AWS::Lambda::Alias') as Resources).find(
    ([, alias]) => JSON.stringify(alias.Properties?.FunctionName) === JSON.stringify({ Ref: functionLogicalId }),
  );
  if (!found) throw new Error(`no live alias for ${functionLogicalId}`);
  return found[0];
};
