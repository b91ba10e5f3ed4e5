/** CDK app entry (cdk.json: `node bin/app.ts`). Context keys are documented in lib/platform-app.ts. */
import { manifest } from '../functions/manifest.ts';
import { createPlatformApp } from '../lib/platform-app.ts';

createPlatformApp({ manifest });
