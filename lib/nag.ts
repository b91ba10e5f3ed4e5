/**
 * Helpers for acknowledging cdk-nag findings precisely. cdk-nag 3 acknowledges each IAM5 finding by its
 * exact id (`AwsSolutions-IAM5[Resource::<flattened ARN>]`), so we build that id from the same token the
 * policy uses instead of hand-writing logical ids that change with the construct tree.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Same flattening as cdk-nag's flattenCfnReference (GetAtt -> `<Id.Attr>`, Ref -> `<Id>`, Sub `${}` -> `<>`). */
const flatten = (node: unknown): string => {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o['Fn::ImportValue']) return flatten(o['Fn::ImportValue']);
    if (o.Ref) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
};

/** Acknowledge the IAM5 finding for one wildcard resource ARN (a token or a literal) on `scope`. */
export const acknowledgeWildcardResource = (scope: IConstruct, resourceArn: string, reason: string): void => {
  const id = `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resourceArn))}]`;
  Validations.of(scope).acknowledge({ id, reason });
};

export const acknowledge = (scope: IConstruct, id: string, reason: string): void => {
  Validations.of(scope).acknowledge({ id, reason });
};
