/**
 * Third-party credentials kept in PostgreSQL (n8n API keys, webhook signing secrets) are stored sealed:
 * AES-256-GCM under a key derived (HKDF-SHA256) from the `credentialsKey` secret, which lives in Secrets
 * Manager in AWS and in the local runtime's secrets.json on a laptop. The row's identity is bound in as
 * additional data, so a sealed value copied into another row (or tenant) does not open. A database dump alone
 * reveals nothing; the plaintext exists only in the function that uses it.
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>` (base64url). Rotating the secret makes existing values unreadable:
 * re-enter them (documented in docs/n8n-monitor.md).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { secrets } from './resources.ts';
import { readSecret } from './secrets.ts';

export class SealedSecretError extends Error {
  override name = 'SealedSecretError';
}

export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

export const secretBox = (keyMaterial: string): SecretBox => {
  if (keyMaterial.length < 16) throw new SealedSecretError('The credentials key is too short');
  const key = Buffer.from(hkdfSync('sha256', keyMaterial, 'mls-credentials', 'aes-256-gcm v1', 32));
  return {
    seal: (plaintext, context) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open: (sealed, context) => {
      const [version, iv, tag, ciphertext] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new SealedSecretError('Not a sealed value');
      try {
        // authTagLength: without it GCM accepts a tag cut down to 4 bytes, which a forger can guess.
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new SealedSecretError('The sealed value does not open with this key (was the credentials key rotated?)');
      }
    },
  };
};

let box: Promise<SecretBox> | undefined;
/** The box built from the deployment's credentials key (read once per cold start). */
export const credentialsBox = (): Promise<SecretBox> => {
  box ??= readSecret(secrets.credentialsKey.env).then(secretBox);
  box.catch(() => (box = undefined));
  return box;
};
