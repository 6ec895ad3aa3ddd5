// Verifies a published chain of trust through the Queue, as a downstream consumer (or the conformance
// kit's checkers) would: fetch the certificate and its signature, check the signature with the given
// public key, then check that the certificate names this task/run and that every artifact it lists
// still has the sha256 it claims. Nothing is buffered beyond the certificate and signature themselves.
import { createHash, type KeyObject, verify as cryptoVerify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
// openpgp and taskcluster-client load when a verification runs: the chain-of-trust feature imports this
// module for the artifact names only.
import type * as openpgp from 'openpgp';
import { loadOpenpgp } from './openpgp.ts';
import type { TcCredentials } from 'taskcluster-client';
import type { Certificate } from './certificate.ts';
import { ed25519PublicKeyFromBase64 } from './keys.ts';

export const COT_ASC = 'public/chainOfTrust.json.asc';
export const COT_JSON = 'public/chain-of-trust.json';
export const COT_SIG = 'public/chain-of-trust.json.sig';
export const CERTIFIED_LOG = 'public/logs/certified.log';

export interface VerifyOptions {
  rootUrl: string;
  taskId: string;
  /** Default: the task's latest run. */
  runId?: number;
  /** Armored OpenPGP public key: verifies public/chainOfTrust.json.asc. */
  openpgpPublicKey?: string;
  /** base64 raw ed25519 public key: verifies public/chain-of-trust.json + .sig. */
  ed25519PublicKey?: string;
  /**
   * Used to sign the Queue URLs (bewit) when given: current deployments require scopes such as
   * queue:status:<taskId> and queue:get-task:<taskId> that anonymous callers may lack.
   */
  credentials?: TcCredentials;
}

export interface VerifyResult {
  ok: boolean;
  /** Why verification failed (first problem found). */
  reason?: string;
  certificate?: Certificate;
  runId?: number;
  /** Artifact names whose sha256 was checked. */
  checkedArtifacts: string[];
}

class VerifyFailure extends Error {}

type QueueClient = Record<string, any>;

/** A Queue URL for `method(...args)`, bewit-signed when credentials were given. */
function queueUrl(o: VerifyOptions, queue: QueueClient, method: string, ...args: unknown[]): string {
  return o.credentials
    ? queue.buildSignedUrl(queue[method], ...args, { expiration: 15 * 60 })
    : queue.buildUrl(queue[method], ...args);
}

async function get(url: string, what: string): Promise<Response> {
  // fetch follows the Queue's redirect to storage and removes Content-Encoding: gzip.
  const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new VerifyFailure(
      `could not download ${what}: HTTP ${res.status} from ${url.replace(/bewit=[^&]+/, 'bewit=<redacted>')}`,
    );
  }
  return res;
}

async function getBytes(url: string, what: string): Promise<Buffer> {
  return Buffer.from(await (await get(url, what)).arrayBuffer());
}

async function sha256OfUrl(url: string, what: string): Promise<string> {
  const res = await get(url, what);
  const hash = createHash('sha256');
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), hash);
  return hash.digest('hex');
}

async function latestRunId(o: VerifyOptions, q: QueueClient): Promise<number> {
  const res = await get(queueUrl(o, q, 'status', o.taskId), 'task status');
  const runs = ((await res.json()) as { status?: { runs?: { runId: number }[] } }).status?.runs ?? [];
  const last = runs.at(-1);
  if (!last) throw new VerifyFailure(`task ${o.taskId} has no runs`);
  return last.runId;
}

/** Signature check; returns the certificate text the signature covers. */
async function verifiedCertificateText(o: VerifyOptions, q: QueueClient, runId: number): Promise<string> {
  const artifactUrl = (name: string) => queueUrl(o, q, 'getArtifact', o.taskId, String(runId), name);
  if (o.ed25519PublicKey !== undefined) {
    let key: KeyObject;
    try {
      key = ed25519PublicKeyFromBase64(o.ed25519PublicKey);
    } catch (err) {
      throw new VerifyFailure(`invalid ed25519 public key: ${(err as Error).message}`);
    }
    const json = await getBytes(artifactUrl(COT_JSON), COT_JSON);
    const sig = await getBytes(artifactUrl(COT_SIG), COT_SIG);
    if (sig.length !== 64) throw new VerifyFailure(`${COT_SIG} is ${sig.length} bytes; an ed25519 signature is 64`);
    if (!cryptoVerify(null, json, key, sig)) {
      throw new VerifyFailure(`ed25519 signature ${COT_SIG} does not match ${COT_JSON} for the given public key`);
    }
    return json.toString('utf8');
  }
  if (o.openpgpPublicKey !== undefined) {
    const pgp = loadOpenpgp();
    let key: openpgp.PublicKey;
    try {
      key = await pgp.readKey({ armoredKey: o.openpgpPublicKey });
    } catch (err) {
      throw new VerifyFailure(`invalid OpenPGP public key: ${(err as Error).message}`);
    }
    const asc = (await getBytes(artifactUrl(COT_ASC), COT_ASC)).toString('utf8');
    let message: openpgp.CleartextMessage;
    try {
      message = await pgp.readCleartextMessage({ cleartextMessage: asc });
    } catch (err) {
      throw new VerifyFailure(`${COT_ASC} is not an OpenPGP clear-signed message: ${(err as Error).message}`);
    }
    const result = await pgp.verify({ message, verificationKeys: key, expectSigned: true }).catch((err) => {
      throw new VerifyFailure(`OpenPGP signature of ${COT_ASC} does not verify: ${(err as Error).message}`);
    });
    try {
      await result.signatures[0]!.verified;
    } catch (err) {
      throw new VerifyFailure(`OpenPGP signature of ${COT_ASC} does not verify: ${(err as Error).message}`);
    }
    return String(result.data);
  }
  throw new VerifyFailure('no public key given: pass an OpenPGP or an ed25519 public key');
}

function parseCertificate(text: string): Certificate {
  let cert: Certificate;
  try {
    cert = JSON.parse(text);
  } catch (err) {
    throw new VerifyFailure(`the signed certificate is not JSON: ${(err as Error).message}`);
  }
  if (cert?.chainOfTrustVersion !== 1) {
    throw new VerifyFailure(
      `certificate chainOfTrustVersion is ${JSON.stringify(cert?.chainOfTrustVersion)}, expected 1`,
    );
  }
  if (cert.artifacts === null || typeof cert.artifacts !== 'object') {
    throw new VerifyFailure('certificate has no artifacts map');
  }
  return cert;
}

export async function verifyChainOfTrust(o: VerifyOptions): Promise<VerifyResult> {
  const checkedArtifacts: string[] = [];
  let certificate: Certificate | undefined;
  let runId: number | undefined;
  const { default: taskcluster } = await import('taskcluster-client');
  const q = new taskcluster.Queue({ rootUrl: o.rootUrl, credentials: o.credentials });
  try {
    runId = o.runId ?? (await latestRunId(o, q));
    certificate = parseCertificate(await verifiedCertificateText(o, q, runId));
    if (certificate.taskId !== o.taskId) {
      throw new VerifyFailure(`certificate is for task ${certificate.taskId}, not ${o.taskId}`);
    }
    if (certificate.runId !== runId)
      throw new VerifyFailure(`certificate is for run ${certificate.runId}, not ${runId}`);
    const taskRes = await get(queueUrl(o, q, 'task', o.taskId), 'task definition');
    const definition = await taskRes.json();
    // node:util when a verification runs (an ES import would load worker_threads into every worker).
    if (!process.getBuiltinModule('node:util').isDeepStrictEqual(certificate.task, definition)) {
      throw new VerifyFailure('certificate task definition differs from the Queue task definition');
    }
    if (!(CERTIFIED_LOG in certificate.artifacts))
      throw new VerifyFailure(`certificate does not list ${CERTIFIED_LOG}`);
    for (const [name, { sha256 }] of Object.entries(certificate.artifacts)) {
      const url = queueUrl(o, q, 'getArtifact', o.taskId, String(runId), name);
      const actual = await sha256OfUrl(url, `artifact ${name}`);
      if (actual !== sha256) {
        throw new VerifyFailure(`artifact ${name} has sha256 ${actual} but the certificate says ${sha256}`);
      }
      checkedArtifacts.push(name);
    }
    return { ok: true, certificate, runId, checkedArtifacts };
  } catch (err) {
    if (!(err instanceof VerifyFailure)) throw err;
    return { ok: false, reason: err.message, certificate, runId, checkedArtifacts };
  }
}

export interface VerifyCotCliOptions {
  taskId: string;
  rootUrl: string;
  runId?: string;
  openpgpPublicKey?: string;
  ed25519PublicKey?: string;
}

/** `tc-worker verify-cot`: prints the outcome; returns the process exit code (0 verified, 1 not). */
export async function runVerifyCot(opts: VerifyCotCliOptions): Promise<number> {
  if ((opts.openpgpPublicKey === undefined) === (opts.ed25519PublicKey === undefined)) {
    process.stderr.write('verify-cot: give exactly one of --openpgp-public-key FILE or --ed25519-public-key KEY\n');
    return 2;
  }
  let runId: number | undefined;
  if (opts.runId !== undefined) {
    runId = Number(opts.runId);
    if (!Number.isInteger(runId) || runId < 0) {
      process.stderr.write(`verify-cot: --run-id must be a non-negative integer, got ${JSON.stringify(opts.runId)}\n`);
      return 2;
    }
  }
  let openpgpPublicKey: string | undefined;
  if (opts.openpgpPublicKey !== undefined) {
    try {
      openpgpPublicKey = readFileSync(opts.openpgpPublicKey, 'utf8');
    } catch (err) {
      process.stderr.write(`verify-cot: cannot read --openpgp-public-key file: ${(err as Error).message}\n`);
      return 2;
    }
  }
  // The ed25519 key is given inline (as new-ed25519-keypair prints it) or as a file holding that text.
  const ed = opts.ed25519PublicKey;
  const ed25519PublicKey = ed !== undefined && existsSync(ed) ? readFileSync(ed, 'utf8').trim() : ed;
  // Credentials, if any, come from the usual Taskcluster environment variables.
  const env = process.env;
  const credentials: TcCredentials | undefined =
    env.TASKCLUSTER_CLIENT_ID && env.TASKCLUSTER_ACCESS_TOKEN
      ? {
          clientId: env.TASKCLUSTER_CLIENT_ID,
          accessToken: env.TASKCLUSTER_ACCESS_TOKEN,
          ...(env.TASKCLUSTER_CERTIFICATE ? { certificate: env.TASKCLUSTER_CERTIFICATE } : {}),
        }
      : undefined;
  const result = await verifyChainOfTrust({
    credentials,
    rootUrl: opts.rootUrl,
    taskId: opts.taskId,
    runId,
    openpgpPublicKey,
    ed25519PublicKey,
  });
  if (!result.ok) {
    process.stderr.write(`chain of trust NOT verified for task ${opts.taskId}: ${result.reason}\n`);
    return 1;
  }
  process.stdout.write(
    `chain of trust verified for task ${opts.taskId} run ${result.runId}: signature valid, ${result.checkedArtifacts.length} artifact(s) match their sha256\n`,
  );
  return 0;
}
