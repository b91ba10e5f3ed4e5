/** Sealed third-party credentials: they open only with the same key, for the same row, untampered. */
import { describe, expect, it } from 'vitest';
import { SealedSecretError, secretBox } from '#shared/sealed-secrets.ts';

const box = secretBox('k'.repeat(48));

describe('secretBox', () => {
  it('opens what it sealed, for the same context, and never seals the same way twice', () => {
    const sealed = box.seal('n8n_api_key_123', 'n8n-instance:ten_a:n8i_1');
    expect(sealed).not.toContain('n8n_api_key_123');
    expect(box.open(sealed, 'n8n-instance:ten_a:n8i_1')).toBe('n8n_api_key_123');
    expect(box.seal('n8n_api_key_123', 'n8n-instance:ten_a:n8i_1')).not.toBe(sealed);
  });

  it('refuses a value copied to another row or tenant', () => {
    const sealed = box.seal('secret', 'n8n-instance:ten_a:n8i_1');
    expect(() => box.open(sealed, 'n8n-instance:ten_b:n8i_1')).toThrow(SealedSecretError);
  });

  it('refuses another key, a tampered ciphertext and a shortened tag', () => {
    const sealed = box.seal('secret', 'ctx');
    expect(() => secretBox('x'.repeat(48)).open(sealed, 'ctx')).toThrow(SealedSecretError);
    const [v, iv, tag, data] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'ctx')).toThrow(SealedSecretError);
    const short = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open([v, iv, short, data].join('.'), 'ctx')).toThrow(SealedSecretError);
    expect(() => box.open('not sealed', 'ctx')).toThrow(SealedSecretError);
  });

  it('refuses a key too short to derive from', () => {
    expect(() => secretBox('short')).toThrow(SealedSecretError);
  });
});
