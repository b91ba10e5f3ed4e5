/** CDK app entry (cdk.json: `node bin/app.ts`). Context keys are documented in lib/platform-app.ts. */
import { authorizer, functions, stateMachines, systemFunctions } from '../lib/routes.ts';
import { createPlatformApp } from '../lib/platform-app.ts';

createPlatformApp({ manifest: { authorizer, functions, systemFunctions, stateMachines } });
