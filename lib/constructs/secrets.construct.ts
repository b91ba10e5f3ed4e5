import { type RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { SecretName } from '#shared/manifest.types.ts';
import { secrets as secretShapes } from '#shared/resources.ts';

/** The value of a provider key secret until the operator sets it. */
export const PLACEHOLDER = 'unset';

export interface SecretsProps {
  prefix: string;
  removalPolicy: RemovalPolicy;
}

/** Secrets named in functions/shared/resources.ts: the JWT key is generated, provider keys are placeholders. */
export class Secrets extends Construct {
  readonly secrets: Record<SecretName, secretsmanager.Secret>;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    const names = Object.keys(secretShapes) as SecretName[];
    this.secrets = Object.fromEntries(
      names.map((name) => {
        const shape = secretShapes[name];
        // The JWT key and the credentials key are ours to generate; provider keys come from the providers.
        const generated = name === 'jwtSigningKey' || name === 'credentialsKey';
        const secret = new secretsmanager.Secret(this, `${name[0]!.toUpperCase()}${name.slice(1)}`, {
          secretName: `${props.prefix}/${name}`,
          description: generated ? shape.description : `${shape.description}. Set by the operator after deploy (put-secret-value).`,
          ...(generated
            ? { generateSecretString: { passwordLength: 64, excludePunctuation: true } }
            : // Not a secret: a placeholder the operator overwrites with the provider's key.
              { secretStringValue: SecretValue.unsafePlainText(PLACEHOLDER) }),
          removalPolicy: props.removalPolicy,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: generated
            ? 'Rotating the HS256 signing key invalidates every issued token at once, and rotating the credentials key makes the stored third-party credentials unreadable; both are rotated deliberately by the operator, not on a schedule.'
            : 'A third-party provider API key: it can only be rotated at the provider, then stored here by the operator.',
        });
        return [name, secret];
      }),
    ) as Record<SecretName, secretsmanager.Secret>;
  }
}
