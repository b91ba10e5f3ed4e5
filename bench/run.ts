/**
 * `npm run bench`: every benchmark, each printing its own baseline measured in the same run. These
 * machines are noisy, so read the ratios, not the absolute numbers. `npm run bench -- gateway bundles`
 * runs a subset.
 */
import { runBundlesBench } from './bundles.bench.ts';
import { runGatewayBench } from './gateway.bench.ts';

type Bench = (log: (line: string) => void) => Promise<void>;

const benches: Record<string, () => Promise<Bench>> = {
  gateway: async () => runGatewayBench,
  bundles: async () => runBundlesBench,
  agents: async () => (await import('./agents.bench.ts')).runAgentsBench,
  realtime: async () => (await import('./realtime.bench.ts')).runRealtimeBench,
};

const log = (line: string): void => console.log(line);
const selected = process.argv.slice(2);
const names = selected.length > 0 ? selected : Object.keys(benches);
for (const name of names) {
  const load = benches[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  log(`\n== ${name} ==`);
  const started = Date.now();
  await (await load())(log);
  log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
