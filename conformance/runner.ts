// One conformance run: host the mock Queue in this process on 127.0.0.1, mint the worker's
// static client and signing keys, run the selected cases (--jobs at a time, plus as many of those that
// mostly wait; each on its own task queue) and hand the finished records to the reporters.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { startMockServices } from '../mocks/index.ts';
import { statements } from '../spec/index.ts';
import { statusFor } from './expectations.ts';
import type { Expectations } from './expectations.ts';
import { HarnessQueue } from './queue-client.ts';
import { PROVISIONER_ID, WORKER_GROUP } from './plan.ts';
import { killTree, type RunContext, runCase, type StatementLike } from './run-case.ts';
import type { CaseRecord, Generation, LoadedCase, Profile } from './types.ts';

/** Exactly what a worker needs from the Queue: claim on the kit's task queues under its own identity. */
export const WORKER_SCOPES = [`queue:claim-work:${PROVISIONER_ID}/*`, `queue:worker-id:${WORKER_GROUP}/*`];
const WORKER_CLIENT_ID = 'tc-kit/worker';

export interface RunOptions {
  profile: Profile;
  cases: LoadedCase[];
  jobs: number;
  expectations: Expectations;
  statements: Map<string, StatementLike>;
  keepDirs?: boolean;
  /** Called as each case finishes (the console reporter's live view). */
  onCase?: (rec: CaseRecord, done: number, total: number) => void;
  onStart?: (rec: CaseRecord) => void;
  /** Aborting kills every running worker's process tree and the run's temp dir (Ctrl-C). */
  signal?: AbortSignal;
}

export interface RunResult {
  records: CaseRecord[];
  startedAt: string;
  durationMs: number;
  /** The run's temp dir (per-case worker dirs under cases/); gone unless keepDirs. */
  runDir: string;
}

/** The spec's statements by id. */
export function loadStatements(): Map<string, StatementLike> {
  return new Map(statements.map((s): [string, StatementLike] => [s.id, s]));
}

async function startMock(
  clients: Array<{ clientId: string; accessToken: string; scopes: string[] }>,
  files: string,
  generation: 'v11' | 'current',
) {
  return startMockServices({
    host: '127.0.0.1',
    port: 0,
    clients,
    files,
    // Short long-polls keep idle workers responsive; claims last long enough for any case.
    longPollMs: 2000,
    // A v11 worker talks to the Queue of its time, which still took reportException reason `superseded`.
    legacySupersededReason: generation === 'v11',
  });
}

/**
 * Signing keys in generic-worker's formats: an armored OpenPGP private key and a base64 ed25519 seed.
 * A v11 worker gets an RSA 4096 OpenPGP key, as 11.0.1's own new-openpgp-keypair makes (openpgp.go):
 * 11.0.1 reads the key with golang.org/x/crypto/openpgp, which refuses EdDSA keys ("unsupported
 * feature: public key type: 22") and exits 69. Current workers get an ed25519 (ECC) key.
 */
export async function makeKeys(dir: string, generation: Generation): Promise<Keys> {
  const ed = generateKeyPairSync('ed25519');
  const der = ed.privateKey.export({ format: 'der', type: 'pkcs8' });
  const ed25519 = join(dir, 'ed25519.key');
  const seed = der.subarray(der.length - 32).toString('base64');
  writeFileSync(ed25519, seed, { mode: 0o600 });
  const userIDs = [{ name: 'tc-kit conformance', email: 'tc-kit@example.com' }];
  const { privateKey, publicKey } =
    generation === 'v11'
      ? await openpgp.generateKey({ type: 'rsa', rsaBits: 4096, userIDs, format: 'armored' })
      : await openpgp.generateKey({ type: 'ecc', userIDs, format: 'armored' });
  const pgp = join(dir, 'openpgp.key');
  writeFileSync(pgp, privateKey, { mode: 0o600 });
  // The armored key's full base64 lines that the public key does not share (a worker may print its
  // public key): any one of them in a log means the private key file leaked.
  const publicLines = new Set(publicKey.split('\n'));
  const armorLines = privateKey.split('\n').filter((l) => /^[A-Za-z0-9+/]{40,}$/.test(l) && !publicLines.has(l));
  const secrets = [
    { what: 'the ed25519 signing key', value: seed },
    ...armorLines.map((value) => ({ what: 'the OpenPGP private key', value })),
  ];
  return { openpgp: pgp, ed25519, secrets };
}

/** The signing keys the runner made for a run: their files, and their material for the leak checks. */
export interface Keys {
  openpgp: string;
  ed25519: string;
  secrets: Array<{ what: string; value: string }>;
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const startedAt = new Date();
  const runDir = mkdtempSync(join(tmpdir(), 'tc-kit-run-'));
  // Traversable (not listable) by others: a task user enters its task directory as itself, as generic-worker's
  // commands do (Go's exec changes directory after switching credentials), so every parent must let it pass.
  chmodSync(runDir, 0o711);
  const filesDir = join(runDir, 'files');
  mkdirSync(filesDir, { recursive: true });
  const workerClient = { clientId: WORKER_CLIENT_ID, accessToken: randomToken() };
  const mock = await startMock([{ ...workerClient, scopes: WORKER_SCOPES }], filesDir, opts.profile.generation);
  try {
    const keys = await makeKeys(runDir, opts.profile.generation);
    const ctx: RunContext = {
      profile: opts.profile,
      rootUrl: mock.rootUrl,
      harness: new HarnessQueue(mock.rootUrl, mock.admin),
      workerClient,
      trace: (since = 0) => mock.trace.since(since),
      traceLast: () => mock.trace.last(),
      faults: mock.faults,
      setClaimTimeout: (taskQueueId, seconds) => mock.model.setClaimTimeout(taskQueueId, seconds),
      setSupersedes: (taskId, list) => mock.model.setSupersedes(taskId, list),
      runDir,
      filesDir,
      keys,
      statements: opts.statements,
      keepDirs: opts.keepDirs ?? false,
      live: new Set(),
    };
    opts.signal?.addEventListener('abort', () => {
      for (const child of ctx.live) killTree(child, 'SIGKILL');
      rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
    });
    const records: CaseRecord[] = new Array(opts.cases.length);
    const { waiting, ordinary } = startOrder(opts.cases);
    let done = 0;
    // A lane takes the next case of its first queue that has one; its index names its workers.
    const lane = async (index: number, queues: number[][]) => {
      for (;;) {
        const i = queues.find((q) => q.length > 0)?.shift();
        if (i === undefined) return;
        const lc = opts.cases[i];
        const rec = await runCase(ctx, lc, index);
        rec.expected = opts.expectations[rec.id] ?? 'pass';
        rec.status = statusFor(rec.outcome, opts.expectations[rec.id]);
        records[i] = rec;
        done++;
        opts.onCase?.(rec, done, opts.cases.length);
      }
    };
    const jobs = Math.max(1, opts.jobs);
    // Cases that mostly wait get lanes of their own beside the `jobs` ordinary lanes (none with --jobs 1: one
    // case at a time); an ordinary lane takes waiting cases too once its own queue is empty.
    const waitingLanes = jobs > 1 ? Math.min(jobs, waiting.length) : 0;
    const ordinaryLanes = Math.min(jobs, opts.cases.length);
    await Promise.all([
      ...Array.from({ length: waitingLanes }, (_, i) => lane(i, [waiting])),
      ...Array.from({ length: ordinaryLanes }, (_, i) => lane(waitingLanes + i, [ordinary, waiting])),
    ]);
    return { records, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), runDir };
  } finally {
    await mock.close();
    if (!opts.keepDirs) rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * The two queues cases start from (indexes into `cases`; reports keep the fixtures' order). A case that
 * declares its own `timeoutSecs` waits on purpose (claim expiry, deadlines, idle timeouts, latency), for
 * seconds to tens of seconds, using little CPU: on lanes of their own, longest first, those waits overlap the
 * hundreds of short cases. On shared lanes they held every lane for the suite's first 25 s at 10–50% CPU
 * (2 cores, 2026-12-03).
 */
export function startOrder(cases: readonly LoadedCase[]): { waiting: number[]; ordinary: number[] } {
  const declared = (i: number) => cases[i]!.fixture?.timeoutSecs ?? 0;
  const all = cases.map((_, i) => i);
  return {
    waiting: all.filter((i) => declared(i) > 0).sort((a, b) => declared(b) - declared(a) || a - b),
    ordinary: all.filter((i) => declared(i) === 0),
  };
}

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(33))).toString('base64url');
}
