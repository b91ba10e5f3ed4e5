/**
 * Synthesizes the platform app the way `cdk synth` does (same builder as bin/app.ts, cdk-nag plugin on,
 * real esbuild bundling) into a temp folder. Synthesis is the slow part: one call per test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createPlatformApp } from '../../lib/platform-app.ts';
import type { PlatformManifest } from '../../lib/platform-manifest.ts';
import type { PlatformStack } from '../../lib/platform-stack.ts';
import { authorizer, functions, stateMachines, systemFunctions } from '../../lib/routes.ts';

export const manifest: PlatformManifest = { authorizer, functions, systemFunctions, stateMachines };

export interface Synthesized {
  stack: PlatformStack;
  template: Template;
  outdir: string;
  /** cdk-nag AwsSolutions findings left after acknowledgements, as `rule at construct path`. */
  nagFindings: string[];
  cleanup: () => void;
}

export const synthesize = (context: Record<string, string>): Synthesized => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'mls-infra-'));
  const { app, stack } = createPlatformApp({ manifest, context, outdir });
  // Throws if the registered AwsSolutions plugin reports anything; the explicit run below names findings.
  const template = Template.fromStack(stack);
  const report = new AwsSolutionsChecks().validateScope(app);
  const nagFindings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`));
  return { stack, template, outdir, nagFindings, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
};

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DependsOn?: string[] }>;

/** Manifest function name -> its Lambda resource (by FunctionName `mls-<stage>-<name>`). */
export const lambdaByName = (template: Template, stage: string): Map<string, { logicalId: string; props: Record<string, any> }> => {
  const found = new Map<string, { logicalId: string; props: Record<string, any> }>();
  for (const [logicalId, resource] of Object.entries(template.findResources('AWS::Lambda::Function') as Resources)) {
    const name = resource.Properties?.FunctionName;
    if (typeof name === 'string' && name.startsWith(`mls-${stage}-`)) found.set(name.slice(`mls-${stage}-`.length), { logicalId, props: resource.Properties! });
  }
  return found;
};

/** Every IAM action granted to a function's role by the stack's policies. */
export const actionsOfRole = (template: Template, roleArn: unknown): string[] => {
  const roleLogicalId = (roleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
    (p.Properties?.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId),
  );
  return policies.flatMap((p) => (p.Properties!.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => [s.Action].flat()));
};
