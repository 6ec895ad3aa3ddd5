// Superseding, the taskcluster proxy and chain of trust end to end: the real tc-worker process against
// the mock Queue. Chain of trust is refused when tasks run as the worker's own user; its positive path
// runs with the OS-user sandbox (root only) and is checked with verify-cot, GnuPG and OpenSSL.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_ROLES } from '../../mocks/index.ts';
import { ed25519PublicKeyPem } from '../../reference/chain-of-trust/keys.ts';
import {
  fetchArtifact,
  type Harness,
  lastRun,
  listArtifacts,
  runWorker,
  slug,
  startHarness,
  taskLog,
} from '../reference/harness.ts';
import { noSandboxReason } from '../helpers/sandbox.ts';

const posix = process.platform !== 'win32';
const sh = (script: string) => ['/bin/sh', '-c', script];
const bin = fileURLToPath(new URL('../../bin/tc-worker.js', import.meta.url));
const tcWorker = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
/** Asynchronous, so the in-process mock Queue keeps answering while the CLI talks to it. */
const tcWorkerAsync = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const opts = { encoding: 'utf8' as const, timeout: 60_000, env: { ...process.env, ...env } };
    execFile(process.execPath, [bin, ...args], opts, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });

describe.skipIf(!posix)('superseding, taskcluster proxy, chain-of-trust refusal (tc-worker e2e)', () => {
  let h: Harness;
  let worker: { code: number | null; stderr: string };
  const ids: Record<string, string> = {};
  let by: string;

  beforeAll(async () => {
    // Short claims so the proxy task lives through a reclaim (new temporary credentials).
    h = await startHarness({ claimTimeoutSeconds: 4, files: { 'not-json.txt': 'this is not json' } });
    const root = h.mock.rootUrl;
    // The stub is keyed by a task id; any slug works since supersederUrl is used verbatim.
    const supersededKey = slug();
    const currentKey = slug();
    by = slug();
    h.mock.model.setSupersedes(supersededKey, [by, supersededKey]);
    h.mock.model.setSupersedes(currentKey, []);
    ids.superseded = await h.createTask({
      command: [sh('echo never-run')],
      maxRunTime: 30,
      supersederUrl: `${root}/superseder/${supersededKey}`,
    });
    ids.current = await h.createTask({
      command: [sh('echo ran')],
      maxRunTime: 30,
      supersederUrl: `${root}/superseder/${currentKey}`,
    });
    ids.badSuperseder = await h.createTask({
      command: [sh('echo ran-anyway')],
      maxRunTime: 30,
      supersederUrl: `${root}/fixture-files/not-json.txt`,
    });
    ids.producer = await h.createTask({
      command: [sh('mkdir -p out && echo top-secret > out/secret.txt && echo other > out/other.txt')],
      maxRunTime: 30,
      artifacts: [
        { type: 'file', path: 'out/secret.txt', name: 'private/secret.txt' },
        { type: 'file', path: 'out/other.txt', name: 'private/other.txt' },
      ],
    });
    const script = [
      'const base = process.env.TASKCLUSTER_PROXY_URL;',
      `for (const n of ['private/secret.txt', 'private/other.txt']) {`,
      `  const r = await fetch(base + '/queue/v1/task/${ids.producer}/artifacts/' + encodeURIComponent(n));`,
      `  console.log('proxy', n, r.status, r.status === 200 ? (await r.text()).trim() : '');`,
      '}',
      `const target = '${h.mock.rootUrl}/api/queue/v1/task/${ids.producer}/artifacts/private%2Fsecret.txt';`,
      `const b = await fetch(base + '/bewit', { method: 'POST', body: target, redirect: 'manual' });`,
      `const signed = await b.text();`,
      `const direct = await fetch(signed);`,
      `console.log('bewit', b.status, signed.includes('bewit='), direct.status, (await direct.text()).trim());`,
    ].join('\n');
    writeFileSync(join(h.dir, 'proxy-client.mjs'), script);
    ids.proxy = await h.createTask(
      {
        command: [sh(`sleep 5; '${process.execPath}' '${join(h.dir, 'proxy-client.mjs')}'`)],
        maxRunTime: 30,
        features: { taskclusterProxy: true },
      },
      { scopes: ['queue:get-artifact:private/secret.txt'], dependencies: [ids.producer] },
    );
    ids.cotRefused = await h.createTask(
      { command: [sh('echo never-run')], maxRunTime: 30, features: { chainOfTrust: true } },
      { dependencies: [ids.proxy] },
    );
    const key = join(h.dir, 'ed25519.key');
    expect(tcWorker(['new-ed25519-keypair', '--file', key]).status).toBe(0);
    worker = await runWorker(
      h,
      h.config({
        numberOfTasksToRun: Object.keys(ids).length,
        taskclusterProxyPort: 0,
        enableSupersede: true,
        reclaimBeforeSecs: 1,
        ed25519SigningKeyLocation: key,
      }),
      90_000,
    );
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('serves every task and exits 0', () => {
    expect(worker.code, worker.stderr.slice(-2000)).toBe(0);
  });

  it('reports a superseded task exception/superseded with public/superseded-by.json, running nothing', async () => {
    const log = await taskLog(h, ids.superseded!);
    expect(log).toContain(`Task ${ids.superseded} has been superseded by task ${by}`);
    expect(log).not.toContain('never-run\n');
    const a = await fetchArtifact(h, ids.superseded!, 0, 'public/superseded-by.json');
    expect(a.contentType).toBe('application/json');
    expect(JSON.parse(a.body!.toString())).toEqual({ taskId: by });
    // generic-worker 11 reports reason `superseded`; the current Queue's schema no longer accepts it
    // (400), so against it the run later ends claim-expired. The spec records this divergence.
    const reports = h.mock.trace.entries().filter((e) => e.route === 'reportException' && e.taskId === ids.superseded);
    expect(reports.map((e) => (e.request.body as { reason?: string })?.reason)).toEqual(['superseded']);
    expect(reports[0]!.status).toBe(400);
  });

  it('runs a task that is not superseded, and one whose superseder answers nonsense (with warnings)', async () => {
    expect(await lastRun(h, ids.current!)).toMatchObject({ state: 'completed' });
    expect(await taskLog(h, ids.current!)).toContain('ran\n');
    expect(await lastRun(h, ids.badSuperseder!)).toMatchObject({ state: 'completed' });
    const log = await taskLog(h, ids.badSuperseder!);
    expect(log).toContain('[supersede] Not able to interpret response from supersederUrl');
    expect(log).toContain('[supersede] Not able to see if this task has been superseded!');
    expect(log).toContain('ran-anyway\n');
    expect((await listArtifacts(h, ids.current!)).map((a) => a.name)).not.toContain('public/superseded-by.json');
  });

  it('proxies with the task scopes only, using credentials refreshed by the reclaim', async () => {
    const log = await taskLog(h, ids.proxy!);
    expect(await lastRun(h, ids.proxy!), log).toMatchObject({ state: 'completed' });
    expect(log).toMatch(/\[taskcluster-proxy\] Successfully started taskcluster-proxy on port \d+/);
    expect(log).toMatch(/\[taskcluster-proxy\] Successfully refreshed taskcluster-proxy credentials: \S+/);
    expect(log).toContain('proxy private/secret.txt 200 top-secret');
    expect(log).toContain('proxy private/other.txt 403');
    expect(log).toContain('bewit 303 true 200 top-secret');
  });

  it('refuses chain of trust when tasks run as the worker user', async () => {
    expect(await lastRun(h, ids.cotRefused!)).toMatchObject({
      state: 'exception',
      reasonResolved: 'malformed-payload',
    });
    const log = await taskLog(h, ids.cotRefused!);
    expect(log).toContain(
      'Was expecting attempt to read private chain of trust key as task user to fail - however, it did not!',
    );
    expect(log).not.toContain('never-run\n');
    const names = (await listArtifacts(h, ids.cotRefused!)).map((a) => a.name);
    expect(names).not.toContain('public/chain-of-trust.json');
  });
});

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0;

describe.skipIf(noSandboxReason !== undefined)('chain of trust with the OS-user sandbox (needs root)', () => {
  let h: Harness;
  let worker: { code: number | null; stderr: string };
  let taskId: string;
  let edPublic: string;
  let pgpPublicFile: string;

  beforeAll(async () => {
    // A deployment without an anonymous role, so verify-cot without credentials is refused (a public one
    // grants queue:status:* and queue:get-task:* to everybody).
    h = await startHarness({ anonymousScopes: ANONYMOUS_ROLES.none });
    chmodSync(h.dir, 0o755); // task users must reach their task directory
    const edKey = join(h.dir, 'ed25519.key');
    const pgpKey = join(h.dir, 'openpgp.key');
    const ed = tcWorker(['new-ed25519-keypair', '--file', edKey]);
    const pgp = tcWorker(['new-openpgp-keypair', '--file', pgpKey]);
    expect(ed.status, ed.stderr).toBe(0);
    expect(pgp.status, pgp.stderr).toBe(0);
    edPublic = ed.stdout.trim();
    pgpPublicFile = join(h.dir, 'openpgp.pub');
    writeFileSync(pgpPublicFile, pgp.stdout);
    // Keys readable by anyone at first: the worker must make them private before the check.
    chmodSync(edKey, 0o644);
    chmodSync(pgpKey, 0o644);
    taskId = await h.createTask({
      command: [sh('mkdir -p out && echo certified > out/a.txt && echo two > out/b.txt')],
      maxRunTime: 30,
      features: { chainOfTrust: true },
      artifacts: [{ type: 'directory', path: 'out', name: 'public/out' }],
    });
    worker = await runWorker(
      h,
      h.config({ runTasksAsCurrentUser: false, signingKeyLocation: pgpKey, ed25519SigningKeyLocation: edKey }),
      60_000,
    );
  }, 90_000);

  afterAll(async () => {
    await h?.close();
  });

  it('publishes a certificate of every uploaded artifact, signed both ways', async () => {
    expect(worker.code, worker.stderr.slice(-2000)).toBe(0);
    const log = await taskLog(h, taskId);
    expect(await lastRun(h, taskId), log).toMatchObject({ state: 'completed' });
    const names = (await listArtifacts(h, taskId)).map((a) => a.name);
    for (const n of [
      'public/chainOfTrust.json.asc',
      'public/chain-of-trust.json',
      'public/chain-of-trust.json.sig',
      'public/logs/certified.log',
    ]) {
      expect(names).toContain(n);
    }
    const cert = JSON.parse((await fetchArtifact(h, taskId, 0, 'public/chain-of-trust.json')).body!.toString());
    expect(Object.keys(cert.artifacts).sort()).toEqual([
      'public/logs/certified.log',
      'public/out/a.txt',
      'public/out/b.txt',
    ]);
    expect(cert).toMatchObject({ chainOfTrustVersion: 1, taskId, runId: 0, workerGroup: 'e2e' });
  });

  it('verify-cot accepts both signatures and rejects a wrong key with the reason', async () => {
    const base = ['verify-cot', '--task-id', taskId, '--root-url', h.mock.rootUrl];
    // The current Queue wants queue:status / queue:get-task scopes: credentials from the usual env vars.
    const env = { TASKCLUSTER_CLIENT_ID: h.mock.admin.clientId, TASKCLUSTER_ACCESS_TOKEN: h.mock.admin.accessToken };
    const anonymous = await tcWorkerAsync([...base, '--ed25519-public-key', edPublic]);
    expect(anonymous.status).toBe(1);
    expect(anonymous.stderr).toMatch(/could not download task status: HTTP 403/);
    const ed = await tcWorkerAsync([...base, '--ed25519-public-key', edPublic], env);
    expect(ed.status, ed.stderr).toBe(0);
    expect(ed.stdout).toContain('3 artifact(s) match their sha256');
    const pgp = await tcWorkerAsync([...base, '--openpgp-public-key', pgpPublicFile], env);
    expect(pgp.status, pgp.stderr).toBe(0);
    const other = join(h.dir, 'other.key');
    const otherPub = tcWorker(['new-ed25519-keypair', '--file', other]).stdout.trim();
    const wrong = await tcWorkerAsync([...base, '--ed25519-public-key', otherPub], env);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/NOT verified.*signature .* does not match/);
  });

  it.skipIf(!has('gpg'))('GnuPG verifies the .asc with the key new-openpgp-keypair printed', async () => {
    const home = mkdtempSync(join(h.dir, 'gnupg-'));
    const env = { ...process.env, GNUPGHOME: home };
    expect(spawnSync('gpg', ['--batch', '--import', pgpPublicFile], { env }).status).toBe(0);
    const asc = join(home, 'cot.asc');
    writeFileSync(asc, (await fetchArtifact(h, taskId, 0, 'public/chainOfTrust.json.asc')).body!);
    const r = spawnSync('gpg', ['--batch', '--verify', asc], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Good signature');
  });

  it.skipIf(!has('openssl', 'version'))(
    'OpenSSL verifies the .sig with the key new-ed25519-keypair printed',
    async () => {
      const dir = mkdtempSync(join(h.dir, 'openssl-'));
      const pem = join(dir, 'pub.pem');
      writeFileSync(pem, ed25519PublicKeyPem(edPublic));
      writeFileSync(join(dir, 'cot.json'), (await fetchArtifact(h, taskId, 0, 'public/chain-of-trust.json')).body!);
      writeFileSync(join(dir, 'cot.sig'), (await fetchArtifact(h, taskId, 0, 'public/chain-of-trust.json.sig')).body!);
      const r = spawnSync(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          pem,
          '-rawin',
          '-in',
          join(dir, 'cot.json'),
          '-sigfile',
          join(dir, 'cot.sig'),
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('Signature Verified Successfully');
    },
  );
});

describe.skipIf(!posix)('chain-of-trust key at worker start (tc-worker e2e)', () => {
  it('exits 69 naming the signing key file it cannot open', async () => {
    const hk = await startHarness();
    try {
      const missing = join(hk.dir, 'missing-ed25519.key');
      const r = await runWorker(hk, hk.config({ ed25519SigningKeyLocation: missing }), 30_000);
      expect(r.code, r.stderr.slice(-1000)).toBe(69);
      expect(r.stderr).toContain(`Was not able to open chain of trust signing key file '${missing}'`);
    } finally {
      await hk.close();
    }
  });
});
