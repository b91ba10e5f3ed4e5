/**
 * The scripted model server for one test file: started before its tests, reset before each (no script or
 * recorded request leaks from one test into the next), closed after. Call it at the top of the file; the
 * returned function gives the server inside tests and hooks.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startScriptedModelServer, type ScriptedModelServer } from '../model-server/scripted-model-server.ts';

export const scriptedModelServerPerFile = (): (() => ScriptedModelServer) => {
  let server: ScriptedModelServer | undefined;
  beforeAll(async () => {
    server = await startScriptedModelServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => server!.reset());
  return () => server!;
};
