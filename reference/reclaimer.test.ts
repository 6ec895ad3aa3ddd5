import { describe, expect, it } from 'vitest';
import type { RunCredentials } from './queue.ts';
import { Reclaimer } from './reclaimer.ts';

function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() > end) reject(new Error('condition not met in time'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

/** A run whose reclaimTask answers from a script; records credential replacements. */
function fakeRun(answers: Array<() => unknown>) {
  const replaced: unknown[] = [];
  let calls = 0;
  const run = {
    queue: {
      reclaimTask: async () => {
        const a = answers[Math.min(calls++, answers.length - 1)]!;
        return a();
      },
    },
    replace: (c: unknown) => replaced.push(c),
  } as unknown as RunCredentials;
  return { run, replaced, calls: () => calls };
}

const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
const refused = () => {
  throw Object.assign(new Error('run is resolved'), { statusCode: 409 });
};

describe('Reclaimer', () => {
  it('reclaims before takenUntil, swaps in the new credentials, and gives up on 409', async () => {
    const creds = { clientId: 'task-client/2', accessToken: 'at2' };
    const f = fakeRun([() => ({ takenUntil: soon(400), credentials: creds }), refused]);
    const lost: Error[] = [];
    const r = new Reclaimer({
      run: f.run,
      taskId: 't',
      runId: 0,
      takenUntil: soon(400),
      reclaimBeforeSecs: 180,
      onLost: (e) => lost.push(e),
    });
    r.start();
    await waitFor(() => lost.length > 0);
    expect(f.replaced).toEqual([creds]);
    expect(r.reclaims).toBe(1);
    expect(lost[0]!.message).toContain('resolved');
    const calls = f.calls();
    await new Promise((res) => setTimeout(res, 500));
    expect(f.calls()).toBe(calls); // stopped reclaiming
    await r.stop();
  });

  it('keeps trying after a server error while the claim lasts', async () => {
    const f = fakeRun([
      () => {
        throw Object.assign(new Error('boom'), { statusCode: 500 });
      },
      () => ({ takenUntil: soon(60_000), credentials: { clientId: 'c3', accessToken: 'a3' } }),
    ]);
    const errors: Error[] = [];
    const r = new Reclaimer({
      run: f.run,
      taskId: 't',
      runId: 0,
      takenUntil: soon(1000),
      reclaimBeforeSecs: 180,
      onLost: () => errors.push(new Error('lost')),
      onError: (e) => errors.push(e),
    });
    r.start();
    await waitFor(() => r.reclaims === 1);
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    await r.stop();
  });
});
