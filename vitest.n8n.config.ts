import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * `npm run test:n8n`: the opt-in tests against a real n8n (test/n8n-real/*.real.ts), never part of `npm test`.
 * The base settings with the include replaced (mergeConfig would add to it, and so run the whole suite).
 */
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/n8n-real/**/*.real.ts'],
    // The first run installs n8n (minutes); every run starts it (about a minute).
    testTimeout: 300_000,
    hookTimeout: 2_700_000,
  },
});
