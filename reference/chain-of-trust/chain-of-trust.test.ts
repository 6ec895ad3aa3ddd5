import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as openpgp from 'openpgp';
import slugid from 'slugid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Upload } from '../artifact-upload.ts';
import { chainOfTrustFeature, KEY_NOT_SECURE_MESSAGE } from '../features/chain-of-trust.ts';
import { TaskLog } from '../task-log.ts';
import type { TaskContext } from '../task-run.ts';
import { ed25519PrivateKeyFromSeed, ed25519PublicKeyBase64, ed25519PublicKeyPem } from './keys.ts';
import { COT_ASC, COT_JSON, COT_SIG, verifyChainOfTrust } from './verify.ts';

// Creating symlinks needs extra privileges on Windows; the cases that make them run on POSIX.
const noSymlinks = process.platform === 'win32';

const has = (tool: string, arg = '--version') => spawnSync(tool, [arg], { stdio: 'ignore' }).status === 0;
// Ed25519 verification needs OpenSSL 3's `pkeyutl -rawin`: macOS ships LibreSSL and some Windows
// images OpenSSL 1.1, whose pkeyutl lacks it, so probe the option rather than the binary.
const opensslRawin = (() => {
  const r = spawnSync('openssl', ['pkeyutl', '-help'], { encoding: 'utf8' });
  return r.error === undefined && /-rawin\b/.test(`${r.stdout}${r.stderr}`);
})();
const TASK_ID = slugid.nice();
const schema = JSON.parse(readFileSync(new URL('../../schemas/cot-certificate.schema.json', import.meta.url), 'utf8'));
const validateCertificate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

let work: string;
let edSeedFile: string;
let edPublic: string;
let pgpKeyFile: string;
let pgpPublic: string;
let server: Server;
let rootUrl: string;
/** What the fake Queue serves: artifact name → local file. */
const served = new Map<string, string>();
const task = {
  taskGroupId: TASK_ID,
  deadline: new Date(Date.now() + 3600_000).toISOString(),
  expires: new Date(Date.now() + 86400_000).toISOString(),
  payload: { command: [['true']], maxRunTime: 30, features: { chainOfTrust: true } },
  scopes: [],
};

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'tc-cot-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
  edSeedFile = path.join(work, 'ed25519.key');
  await writeFile(edSeedFile, `${seed}\n`, { mode: 0o600 });
  edPublic = ed25519PublicKeyBase64(privateKey);
  const pgp = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: 'tc-worker', comment: 'test' }],
    format: 'armored',
  });
  pgpKeyFile = path.join(work, 'openpgp.key');
  await writeFile(pgpKeyFile, pgp.privateKey, { mode: 0o600 });
  pgpPublic = pgp.publicKey;

  // A stand-in for the Queue's artifact, status and task endpoints (the e2e tests use the real mock).
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/queue\/v1\/task\/([^/]+)(?:\/runs\/0\/artifacts\/(.+)|\/(status))?$/.exec(url.pathname);
    if (m?.[2]) {
      const file = served.get(decodeURIComponent(m[2]));
      if (file) return createReadStream(file).pipe(res);
    } else if (m?.[3]) {
      return res.end(JSON.stringify({ status: { taskId: m[1], runs: [{ runId: 0 }] } }));
    } else if (m) {
      return res.end(JSON.stringify(task));
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(work, { recursive: true, force: true });
});

interface Harness {
  ctx: TaskContext;
  uploads: S3Upload[];
  taskDir: string;
}

async function harness(opts: { canRead?: boolean; asCurrentUser?: boolean; noUser?: boolean } = {}): Promise<Harness> {
  const taskDir = await mkdtemp(path.join(work, 'task-'));
  await mkdir(path.join(taskDir, 'generic-worker'));
  const logPath = path.join(taskDir, 'generic-worker', 'live_backing.log');
  const log = new TaskLog(logPath);
  log.write('[taskcluster 2026-01-01T00:00:00.000Z] === Task Starting ===\n');
  const uploads: S3Upload[] = [];
  const ctx = {
    config: {
      signingKeyLocation: pgpKeyFile,
      ed25519SigningKeyLocation: edSeedFile,
      runTasksAsCurrentUser: opts.asCurrentUser ?? false,
      workerGroup: 'wg',
      workerId: 'wid',
      publicIP: '12.34.56.78',
      instanceID: 'i-1',
      instanceType: 'p3.enormous',
      region: 'r',
    },
    taskId: TASK_ID,
    runId: 0,
    task,
    payload: task.payload,
    taskDir,
    log,
    taskUser: opts.noUser ? undefined : { name: 'task_1', home: '/home/task_1', groups: [] },
    cancelled: false,
    platform: {
      makePrivate: async () => {},
      userCanRead: async () => opts.canRead ?? false,
    },
    uploader: {
      // Serves what the worker handed over: its own file by path, or the bytes of a source, as uploaded.
      async s3(u: S3Upload) {
        uploads.push(u);
        const bytes = u.source ? await buffer(u.source.open()) : await readFile(u.path!);
        let file = u.path;
        if (!file) {
          file = path.join(work, `served-${served.size}-${path.basename(u.name)}`);
          await writeFile(file, bytes);
        }
        served.set(u.name, file);
        return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, encoding: 'gzip' };
      },
    },
  } as unknown as TaskContext;
  return { ctx, uploads, taskDir };
}

/** Runs the feature around one payload-artifact upload, as the artifacts feature would do it. */
async function runCot(h: Harness): Promise<void> {
  const tf = chainOfTrustFeature.forTask(h.ctx);
  await tf.start();
  const artifact = path.join(h.taskDir, 'out.txt');
  await writeFile(artifact, 'payload artifact\n');
  await h.ctx.uploader.s3({
    name: 'public/out.txt',
    path: artifact,
    contentType: 'text/plain',
    expires: '',
    gzip: true,
  });
  await tf.stop({ resolution: 'completed', aborted: false });
}

describe('chain of trust feature', () => {
  it('loads the signing keys at worker start, naming a key file it cannot open', async () => {
    await expect(
      chainOfTrustFeature.initialise!({ signingKeyLocation: pgpKeyFile, ed25519SigningKeyLocation: edSeedFile } as any),
    ).resolves.toBeUndefined();
    const missing = path.join(work, 'no-such.key');
    await expect(chainOfTrustFeature.initialise!({ ed25519SigningKeyLocation: missing } as any)).rejects.toThrow(
      `Was not able to open chain of trust signing key file '${missing}'`,
    );
    await writeFile(path.join(work, 'short.key'), 'c2hvcnQ=');
    await expect(
      chainOfTrustFeature.initialise!({ ed25519SigningKeyLocation: path.join(work, 'short.key') } as any),
    ).rejects.toThrow(/expected base64 of 32 bytes, got 5 bytes/);
    await expect(
      chainOfTrustFeature.initialise!({ ed25519SigningKeyLocation: missing, enableChainOfTrust: false } as any),
    ).resolves.toBeUndefined();
  });

  it('refuses tasks running as the worker user, or whose user can read the key', async () => {
    for (const opts of [{ asCurrentUser: true }, { noUser: true }, { canRead: true }]) {
      const h = await harness(opts);
      const tf = chainOfTrustFeature.forTask(h.ctx);
      await expect(tf.start()).rejects.toMatchObject({ reason: 'malformed-payload' });
      await expect(tf.start()).rejects.toThrow(KEY_NOT_SECURE_MESSAGE);
      await tf.stop({ resolution: 'exception', reason: 'malformed-payload', aborted: false });
      expect(h.uploads).toEqual([]);
    }
  });

  it('certifies every uploaded artifact and certified.log, signed both ways, and verifies via the Queue', async () => {
    const h = await harness();
    await runCot(h);
    expect(h.uploads.map((u) => u.name)).toEqual([
      'public/out.txt',
      'public/logs/certified.log',
      COT_ASC,
      COT_JSON,
      COT_SIG,
    ]);
    const json = await readFile(served.get(COT_JSON)!);
    const cert = JSON.parse(json.toString());
    expect(cert).toMatchObject({
      chainOfTrustVersion: 1,
      taskId: TASK_ID,
      runId: 0,
      workerGroup: 'wg',
      workerId: 'wid',
      environment: { publicIpAddress: '12.34.56.78', instanceId: 'i-1', instanceType: 'p3.enormous', region: 'r' },
      task,
    });
    expect(Object.keys(cert.artifacts).sort()).toEqual(['public/logs/certified.log', 'public/out.txt']);
    expect(validateCertificate(cert), JSON.stringify(validateCertificate.errors)).toBe(true);
    const sig = await readFile(served.get(COT_SIG)!);
    expect(sig.length).toBe(64);
    const seed = (await readFile(edSeedFile, 'utf8')).trim();
    const pub = ed25519PrivateKeyFromSeed(seed);
    expect(verify(null, json, pub, sig)).toBe(true);

    const viaEd = await verifyChainOfTrust({ rootUrl, taskId: TASK_ID, ed25519PublicKey: edPublic });
    expect(viaEd).toMatchObject({ ok: true, runId: 0 });
    expect(viaEd.checkedArtifacts.sort()).toEqual(['public/logs/certified.log', 'public/out.txt']);
    const viaPgp = await verifyChainOfTrust({ rootUrl, taskId: TASK_ID, openpgpPublicKey: pgpPublic });
    expect(viaPgp).toMatchObject({ ok: true });

    // Tampering with a certified artifact, or a wrong key, is reported with the reason.
    await writeFile(path.join(h.taskDir, 'out.txt'), 'tampered\n');
    const tampered = await verifyChainOfTrust({ rootUrl, taskId: TASK_ID, runId: 0, ed25519PublicKey: edPublic });
    expect(tampered.ok).toBe(false);
    expect(tampered.reason).toMatch(/artifact public\/out.txt has sha256 [0-9a-f]{64} but the certificate says/);
    const otherKey = ed25519PublicKeyBase64(generateKeyPairSync('ed25519').privateKey);
    const wrong = await verifyChainOfTrust({ rootUrl, taskId: TASK_ID, ed25519PublicKey: otherKey });
    expect(wrong.reason).toMatch(/signature .* does not match/);
  });

  it.skipIf(noSymlinks)(
    'merges chain-of-trust-additional-data.json under the certificate, refusing a symlink',
    async () => {
      const h = await harness();
      await writeFile(
        path.join(h.taskDir, 'chain-of-trust-additional-data.json'),
        JSON.stringify({ kitExtra: 'extra-1', taskId: 'bogus', environment: { rack: 7 } }),
      );
      await runCot(h);
      const cert = JSON.parse(await readFile(served.get(COT_JSON)!, 'utf8'));
      expect(cert).toMatchObject({ kitExtra: 'extra-1', taskId: TASK_ID, environment: { rack: 7, region: 'r' } });
      expect(validateCertificate(cert)).toBe(true);

      const evil = await harness();
      await symlink(edSeedFile, path.join(evil.taskDir, 'chain-of-trust-additional-data.json'));
      await expect(runCot(evil)).rejects.toMatchObject({ reason: 'internal-error' });
      expect(evil.uploads.map((u) => u.name)).not.toContain(COT_JSON);
    },
  );

  it.skipIf(!has('gpg'))('the .asc verifies with GnuPG (gpg --verify)', async () => {
    const h = await harness();
    await runCot(h);
    const home = await mkdtemp(path.join(work, 'gnupg-'));
    const env = { ...process.env, GNUPGHOME: home };
    const imp = spawnSync('gpg', ['--batch', '--import'], { input: pgpPublic, env });
    expect(imp.status, imp.stderr.toString()).toBe(0);
    const ok = spawnSync('gpg', ['--batch', '--verify', served.get(COT_ASC)!], { env });
    expect(ok.status, ok.stderr.toString()).toBe(0);
    expect(ok.stderr.toString()).toMatch(/Good signature/);
    const asc = await readFile(served.get(COT_ASC)!, 'utf8');
    const forged = path.join(home, 'forged.asc');
    await writeFile(forged, asc.replace('"workerId": "wid"', '"workerId": "evil"'));
    expect(spawnSync('gpg', ['--batch', '--verify', forged], { env }).status).not.toBe(0);
  });

  it.skipIf(!opensslRawin)('the .sig verifies with OpenSSL (pkeyutl -verify -rawin)', async () => {
    const h = await harness();
    await runCot(h);
    const pem = path.join(h.taskDir, 'pub.pem');
    await writeFile(pem, ed25519PublicKeyPem(edPublic));
    const args = ['pkeyutl', '-verify', '-pubin', '-inkey', pem, '-rawin', '-in', served.get(COT_JSON)!];
    const ok = spawnSync('openssl', [...args, '-sigfile', served.get(COT_SIG)!]);
    expect(ok.status, ok.stderr.toString() + ok.stdout.toString()).toBe(0);
    expect(ok.stdout.toString()).toMatch(/Signature Verified Successfully/);
    const badSig = path.join(h.taskDir, 'bad.sig');
    const sig = await readFile(served.get(COT_SIG)!);
    sig[0] = sig[0]! ^ 0xff;
    await writeFile(badSig, sig);
    expect(spawnSync('openssl', [...args, '-sigfile', badSig]).status).not.toBe(0);
  });
});
