// How big the property runs are and how to replay them. `npm test` runs the quick size; `npm run test:properties`
// (PROPS_FULL=1) the full one. PROPS_SEED replays a run (every property of the run used that seed); PROPS_PATH with
// it replays one failing counterexample exactly (fast-check prints both); PROPS_SCALE multiplies every run count;
// PROPS_STRATA=valid,schema,<rule id>,... generates only those strata (generators.ts stratified).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

export const FULL = process.env.PROPS_FULL === '1';
const scale = Number(process.env.PROPS_SCALE ?? '1') || 1;
export const SEED =
  process.env.PROPS_SEED !== undefined ? Number(process.env.PROPS_SEED) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
const PATH = process.env.PROPS_PATH;

export const reportDir = new URL('../../reports/properties/', import.meta.url).pathname;

/** Runs for a property: `quick` under npm test, `full` under test:properties. */
export function runs(quick: number, full: number): number {
  return Math.max(1, Math.round((FULL ? full : quick) * scale));
}

/** fast-check parameters for one property; the line it prints is how a run is reproduced. */
export function params<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  // PROPS_NO_SHRINK=1: report the first failure as found (a quick look before a long end-to-end shrink).
  const noShrink = process.env.PROPS_NO_SHRINK === '1' ? { endOnFailure: true } : {};
  return { seed: SEED, numRuns, ...(PATH ? { path: PATH } : {}), ...extra, ...noShrink };
}

/** Records that a property ran (name, seed, runs, time): printed, and summed by test/properties/run.ts. */
export function recorded(name: string, numRuns: number, ms: number, extra: Record<string, unknown> = {}): void {
  const line = { property: name, seed: SEED, runs: numRuns, ms: Math.round(ms), ...extra };
  console.log(
    `[properties] ${name}: seed=${SEED} runs=${numRuns} (${Math.round(ms)} ms)${Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ''}`,
  );
  mkdirSync(reportDir, { recursive: true });
  appendFileSync(join(reportDir, 'runs.jsonl'), `${JSON.stringify(line)}\n`);
}

/** Runs `fc.assert` for a property and records it. */
export async function check<T>(
  name: string,
  prop: fc.IProperty<T> | fc.IAsyncProperty<T>,
  numRuns: number,
  extra: fc.Parameters<T> = {},
) {
  const t0 = performance.now();
  try {
    await fc.assert(prop as fc.IAsyncProperty<T>, params(numRuns, extra));
  } finally {
    recorded(name, numRuns, performance.now() - t0);
  }
}

/** A shrunk counterexample as a conformance case (fixtures/ format) under reports/properties/fixtures/, to be
 * reviewed and moved into fixtures/ as a regression case. Returns the file written. */
export function keepCounterexample(id: string, fixture: Record<string, unknown>): string {
  const file = join(reportDir, 'fixtures', `${id}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ $schema: '../../../../schemas/fixture.schema.json', id, ...fixture }, null, 2)}\n`,
  );
  return file;
}
