// `npm run test:properties`: the full property runs (PROPS_FULL=1) through vitest, then the totals: every property
// with its seed and number of runs, and the sum (the issue asks for at least 10,000). Arguments go to vitest;
// PROPS_SEED=<n> replays a run, PROPS_PATH=<path> (with the seed) one counterexample, PROPS_SCALE=<x> resizes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const log = join(root, 'reports/properties/runs.jsonl');
rmSync(log, { force: true });
const seed = process.env.PROPS_SEED ?? String((Date.now() ^ (Math.random() * 2 ** 31)) | 0);
console.log(`test:properties: seed ${seed} (replay: PROPS_SEED=${seed} npm run test:properties)`);
const vitest = join(root, 'node_modules/vitest/vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', 'test/properties', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PROPS_FULL: '1', PROPS_SEED: seed },
});
const lines = existsSync(log)
  ? readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { property: string; seed: number; runs: number; ms: number; tasks?: number })
  : [];
let total = 0;
console.log('\nproperty                                  seed          runs   time');
for (const l of lines) {
  total += l.runs;
  console.log(
    `${l.property.padEnd(40)}  ${String(l.seed).padEnd(12)}  ${String(l.runs).padStart(5)}  ${(l.ms / 1000).toFixed(1)} s`,
  );
}
console.log(`total: ${total} runs of ${lines.length} properties, seed ${seed}`);
process.exit(r.status ?? 1);
