// In-process payload properties: thousands of generated payloads judged by the reference worker's validator
// (reference/features/payload-validator.ts, validatePayload) and by the independent oracle, which must agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePayload } from '../../reference/features/payload-validator.ts';
import { validatorDisagreement, firstStage } from './agree.ts';
import { type Case, type GenOptions, stratified, schemaBrokenCase, validCase } from './generators.ts';
import { judge, type Os, type WorkerFacts } from './oracle.ts';
import { check, FULL, keepCounterexample, runs } from './settings.ts';

const worker: WorkerFacts = {
  provisionerId: 'kit-props',
  workerType: 'inproc',
  enableOSGroups: true,
  enableTaskclusterProxy: true,
  enableChainOfTrust: true,
  enableMounts: true,
  userGroups: ['root', 'wheel'],
  userName: 'kit',
  tasksRunAsWorkerUser: true,
};
const t0 = Date.parse('2026-12-03T00:00:00.000Z');
const opts = (os: Os, generation: 'current' | 'v11'): GenOptions => ({
  os,
  generation,
  mode: 'inproc',
  t0,
  provisionerId: worker.provisionerId,
  workerType: worker.workerType,
  userGroups: worker.userGroups,
});

// Thousands of runs in a full run take minutes on a loaded machine: no test timeout of ours should end one.
const TIMEOUT = FULL ? 1_800_000 : 120_000;

describe('payload generators follow the schemas', () => {
  for (const os of ['linux', 'windows'] as const)
    for (const generation of ['current', 'v11'] as const) {
      it(
        `${os}/${generation}: valid cases pass the schema and broken ones do not`,
        async () => {
          const o = opts(os, generation);
          await check(
            `schema-derived/${os}/${generation}`,
            fc.property(fc.tuple(validCase(o), schemaBrokenCase(o)), ([good, bad]) => {
              const g = judge({ os, generation, payload: good.payload, task: good.task, worker });
              const b = judge({ os, generation, payload: bad.payload, task: bad.task, worker });
              return firstStage(g) !== 'schema' && firstStage(b) === 'schema';
            }),
            runs(60, 500),
          );
        },
        TIMEOUT,
      );
    }
});

describe('the reference validator agrees with the oracle', () => {
  for (const os of ['linux', 'windows'] as const) {
    it(
      `${os}: accept/reject and the rules named`,
      async () => {
        const o = opts(os, 'current');
        const seen: Record<string, number> = {};
        let failure: { c: Case; why: string } | undefined;
        try {
          await check(
            `validator-agrees/${os}`,
            fc.property(stratified(o), (c) => {
              const v = judge({ os, generation: 'current', payload: c.payload, task: c.task, worker });
              const k = v.valid ? 'valid' : v.broken[0]!.stage === 'schema' ? 'schema' : v.broken[0]!.rule;
              seen[k] = (seen[k] ?? 0) + 1;
              const why = validatorDisagreement(v, validatePayload(c.payload, c.task, os));
              if (why) failure = { c, why };
              return why === null;
            }),
            runs(400, 5000),
          );
        } catch (e) {
          if (failure) {
            const file = keepCounterexample(`payload/properties/validator-${os}`, {
              counterexample: failure.c,
              why: failure.why,
            });
            throw new Error(`${(e as Error).message}\nshrunk counterexample kept in ${file}`);
          }
          throw e;
        }
        console.log(`[properties] validator-agrees/${os} strata: ${JSON.stringify(seen)}`);
        // Every stratum was reached (otherwise the property says nothing about it), unless PROPS_STRATA chose some.
        if (!process.env.PROPS_STRATA) expect(Object.keys(seen).length).toBeGreaterThan(10);
      },
      TIMEOUT,
    );
  }
});
