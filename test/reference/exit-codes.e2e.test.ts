// Exit codes 66, 67 and 70: their documented triggers.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import hawk from 'hawk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../reference/config.ts';
import { ExitCode } from '../../reference/exit-codes.ts';
import { CurrentUserPlatform } from '../../reference/platform/current-user.ts';
import { Worker } from '../../reference/worker.ts';
import { type Harness, runWorker, startHarness, startWorker } from './harness.ts';

const bin = fileURLToPath(new URL('../../bin/tc-worker.js', import.meta.url));
const quiet = { info() {}, warn() {}, error() {} };

describe('exit codes', () => {
  it('66: a key pair cannot be created (the key file cannot be written)', () => {
    for (const target of ['new-ed25519-keypair', 'new-openpgp-keypair']) {
      const r = spawnSync(process.execPath, [bin, target, '--file', '/nonexistent-dir/x/key'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, target).toBe(66);
      expect(r.stderr).toContain('/nonexistent-dir/x/key');
    }
  });

  it('67: the platform requires a reboot between tasks (e.g. a new Windows task user); nothing is claimed', async () => {
    class RebootingPlatform extends CurrentUserPlatform {
      calls = 0;
      async betweenTasks(): Promise<number | undefined> {
        this.calls++;
        return ExitCode.REBOOT_REQUIRED;
      }
    }
    const platform = new RebootingPlatform();
    const config = validateConfig(
      {
        accessToken: 'x',
        clientId: 'c',
        workerId: 'w',
        workerType: 'wt',
        rootURL: 'http://127.0.0.1:9',
        tasksDir: join(mkdtempSync(join(tmpdir(), 'tcw-67-')), 'tasks'),
      },
      'windows',
    );
    const worker = new Worker({ config, platform, logger: quiet, features: [] });
    expect(await worker.run()).toBe(67);
    expect(platform.calls).toBe(1);
  });

  describe('70: the worker manager says the worker should terminate', () => {
    let h: Harness;
    let server: Server;
    const asked: Array<{ url: string; id: string }> = [];
    beforeAll(async () => {
      h = await startHarness();
      server = createServer(async (req, res) => {
        try {
          // Real Hawk verification of what the worker sends, with the mock admin's key.
          const { credentials } = await (hawk as any).server.authenticate(req, (id: string) =>
            id === h.mock.admin.clientId ? { key: h.mock.admin.accessToken, algorithm: 'sha256', id } : undefined,
          );
          asked.push({ url: req.url ?? '', id: credentials.id });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ terminate: true }));
        } catch (e) {
          res.writeHead(401).end(String(e));
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    });
    afterAll(async () => {
      server?.close();
      await h?.close();
    });

    it('exits 70 when deploymentId is set and should-terminate answers true', async () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/worker-manager/v1`;
      const cfg = h.config({ deploymentId: 'd1', provisionerBaseURL: base, numberOfTasksToRun: 0 });
      const r = await runWorker(h, cfg);
      expect(r.code, r.stderr.slice(-2000)).toBe(70);
      expect(asked).toEqual([
        {
          url: `/api/worker-manager/v1/workers/${encodeURIComponent(`tc-worker-e2e/${h.workerType}`)}/e2e/${cfg.workerId}/should-terminate`,
          id: h.mock.admin.clientId,
        },
      ]);
    });
  });
});

// Windows has no SIGINT/SIGTERM delivery to another process (child.kill terminates it outright).
describe.skipIf(process.platform === 'win32')('signals while idle in a claimWork long poll', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ longPollMs: 60_000 }); // a poll that outlasts the worker's kill timeout
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ['SIGINT', 71],
    ['SIGTERM', 72],
  ] as const)('%s drops the long poll and exits %i', async (signal, expected) => {
    const w = startWorker(h, h.config({ numberOfTasksToRun: 0, idleTimeoutSecs: 0 }), 15_000);
    for (let i = 0; i < 300 && !w.stderr().includes('worker starting'); i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    w.child.kill(signal);
    expect((await w.exit).code).toBe(expected);
  });
});
