/** The API base URL the RFC 9728 document names: the stage is part of it on execute-api hosts only. */
import { describe, expect, it } from 'vitest';
import { publicBaseUrl } from '#functions/protocols/mcp/public-url.ts';

describe('publicBaseUrl', () => {
  it('puts the stage in the URL on an execute-api host', () => {
    expect(publicBaseUrl({ Host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'X-Forwarded-Proto': 'https' }, 'prod')).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    );
  });

  it('leaves it out behind a custom domain or the local runtime', () => {
    expect(publicBaseUrl({ host: 'api.example.com' }, 'prod')).toBe('https://api.example.com');
    expect(publicBaseUrl({ Host: '127.0.0.1:3000', 'X-Forwarded-Proto': 'http' }, 'local')).toBe('http://127.0.0.1:3000');
  });
});
