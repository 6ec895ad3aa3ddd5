// The task run inside the worker, in process, with a feature list of our choosing: a feature that throws
// is an internal error of that run only (exception/internal-error, log uploaded), and the worker goes on.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../reference/config.ts';
import { backingLogFeature } from '../../reference/features/backing-log.ts';
import { commandExecutorFeature } from '../../reference/features/command-executor.ts';
import type { WorkerFeature } from '../../reference/features/index.ts';
import { payloadValidatorFeature } from '../../reference/features/payload-validator.ts';
import { CurrentUserPlatform } from '../../reference/platform/current-user.ts';
import { Worker } from '../../reference/worker.ts';
import { type Harness, lastRun, startHarness, taskLog } from './harness.ts';

const quiet = { info() {}, warn() {}, error() {} };
const exploding: WorkerFeature = {
  name: 'exploding',
  enabled: () => true,
  requested: (ctx) => {
    if (ctx.payload.env?.EXPLODE) throw new Error('feature bug: cannot decide');
    return false;
  },
  forTask: () => ({ async start() {}, async stop() {} }),
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe.skipIf(process.platform === 'win32')('task run (in process)', () => {
  it('a throwing feature resolves that run exception/internal-error; the next task still runs', async () => {
    const cmd = [['/bin/sh', '-c', 'echo ran']];
    const bad = await h.createTask({ command: cmd, maxRunTime: 30, env: { EXPLODE: '1' } });
    const good = await h.createTask({ command: cmd, maxRunTime: 30 });
    const config = validateConfig({ ...h.config({ numberOfTasksToRun: 2 }), tasksDir: join(h.dir, 'inproc') }, 'linux');
    const worker = new Worker({
      config,
      platform: new CurrentUserPlatform(),
      logger: quiet,
      features: [backingLogFeature, payloadValidatorFeature, exploding, commandExecutorFeature],
    });
    expect(await worker.run()).toBe(0);
    const run = await lastRun(h, bad);
    expect([run.state, run.reasonResolved]).toEqual(['exception', 'internal-error']);
    const log = await taskLog(h, bad);
    expect(log).toContain('[taskcluster:error] Internal worker error: Error: feature bug: cannot decide');
    expect(log).not.toContain('Executing command');
    expect((await lastRun(h, good)).state).toBe('completed');
    expect(worker.results.map((r) => r.resolution)).toEqual(['exception', 'completed']);
  });
});
