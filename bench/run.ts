/**
 * `npm run bench`: every benchmark, each printing its own baseline measured in the same run. These
 * machines are noisy, so read the ratios, not the absolute numbers. `npm run bench -- gateway bundles`
 * runs a subset. Each benchmark runs in a fresh Node process: handlers keep per-process clients (the pg
 * pool, SDK clients) for the life of the process, as in a Lambda container, so two local runtimes must not
 * share one process.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Bench = (log: (line: string) => void) => Promise<void>;

const benches: Record<string, () => Promise<Bench>> = {
  gateway: async () => (await import('./gateway.bench.ts')).runGatewayBench,
  bundles: async () => (await import('./bundles.bench.ts')).runBundlesBench,
  agents: async () => (await import('./agents.bench.ts')).runAgentsBench,
  realtime: async () => (await import('./realtime.bench.ts')).runRealtimeBench,
  load: async () => (await import('./load.bench.ts')).runLoadBench,
  ide: async () => (await import('./ide.bench.ts')).runIdeBench,
  n8n: async () => (await import('./n8n.bench.ts')).runN8nBench,
  protocols: async () => (await import('./protocols.bench.ts')).runProtocolsBench,
};

const log = (line: string): void => console.log(line);
const [first, ...rest] = process.argv.slice(2);

if (first === '--child') {
  const load = benches[rest[0]!]!;
  await (await load())(log);
} else {
  const names = first === undefined ? Object.keys(benches) : [first, ...rest];
  const unknown = names.filter((n) => !(n in benches));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  let failed = false;
  for (const name of names) {
    log(`\n== ${name} ==`);
    const started = Date.now();
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name], { stdio: 'inherit' });
    failed ||= child.status !== 0;
    log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s${child.status === 0 ? '' : `, FAILED with exit ${child.status}`})`);
  }
  process.exit(failed ? 1 : 0);
}
