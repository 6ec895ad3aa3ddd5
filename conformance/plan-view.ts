// `tc-conformance --list --plan`: each case's plan as the runner would resolve it, with stand-ins
// for what only a run has (the mock's port, credentials, temp dirs, ports, fresh taskIds).
import { join } from 'node:path';
import { hostVars } from './fault-env.ts';
import { caseDirOf, caseSlug, type PlanEnv, resolvePlan } from './plan.ts';
import { runnerClientIds } from './worker-runner.ts';
import type { LoadedCase, Profile } from './types.ts';

const RUN_DIR = '/tmp/tc-kit-run-XXXXXX';
const STAND_IN_PORTS = [50000, 50001, 50002, 50003];

export const PLAN_STAND_INS = `plans use stand-ins for what only a run has: root URL http://127.0.0.1:<mock-port>, run dir ${RUN_DIR}, worker access token <worker-access-token>, ports ${STAND_IN_PORTS.join(', ')}, fresh taskIds`;

/** The case's plan as pretty JSON (file contents by size), or the reason it cannot be resolved. */
export function showPlan(profile: Profile, lc: LoadedCase): string {
  const env: PlanEnv = {
    profile,
    rootUrl: 'http://127.0.0.1:<mock-port>',
    workerClient: { clientId: 'tc-kit/worker', accessToken: '<worker-access-token>' },
    keys: { openpgp: join(RUN_DIR, 'openpgp.key'), ed25519: join(RUN_DIR, 'ed25519.key') },
    runDir: RUN_DIR,
    filesDir: join(RUN_DIR, 'files'),
  };
  try {
    // The placeholders a run adds: the host fixtures' paths, and the worker-runner clients (tokens as stand-ins).
    const slug = caseSlug(lc.fixture.id);
    const extraVars = hostVars(lc.fixture, caseDirOf(RUN_DIR, slug), slug);
    if (lc.fixture.setup?.workerRunner) {
      const ids = runnerClientIds(slug);
      Object.assign(extraVars, {
        CLIENT_ID: ids.runner,
        ACCESS_TOKEN: '<runner-access-token>',
        RENEWED_CLIENT_ID: ids.renewed,
        RENEWED_ACCESS_TOKEN: '<renewed-access-token>',
      });
    }
    const plan = resolvePlan(env, lc, { workerIndex: 0, ports: STAND_IN_PORTS, extraVars });
    const shown = {
      slug: plan.slug,
      caseDir: plan.caseDir,
      argv: plan.argv,
      env: plan.env,
      configFile: plan.configFile?.path ?? null,
      config: plan.configFile && lc.fixture.setup?.configRaw !== undefined ? plan.configFile.text : plan.config,
      files: plan.files.map((f) => ({ path: f.path, bytes: f.content.length })),
      faults: plan.faults,
      supersedes: plan.supersedes,
      claimTimeout: plan.claimTimeout,
      tasks: plan.tasks.map((t) => ({ alias: t.alias, taskId: t.taskId, definition: t.definition, expect: t.expect })),
      signals: plan.signals,
      timeoutMs: plan.timeoutMs,
      liveLog: plan.liveLog,
      expect: plan.expect,
    };
    return JSON.stringify(shown, null, 2);
  } catch (err) {
    return `cannot be planned: ${(err as Error).message}`;
  }
}
