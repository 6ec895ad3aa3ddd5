// features.chainOfTrust (generic-worker-behaviour.md §4): after the payload artifacts are uploaded,
// publish public/logs/certified.log and a certificate of every uploaded artifact's sha256, signed with
// OpenPGP (public/chainOfTrust.json.asc, key at signingKeyLocation, as 11.0.1) and/or ed25519
// (public/chain-of-trust.json + .sig, key at ed25519SigningKeyLocation, as current generic-worker).
// The key must be unreadable by the task user, so tasks running as the worker's own user are refused.
// Nothing is written into the task directory: the certified log is read through the log's own descriptor
// and the certificate and signatures are uploaded from memory, so links a task plants there lead nowhere.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { bufferSource, type S3Upload, type UploadSource } from '../artifact-upload.ts';
import { buildCertificate, type CotEnvironment, serialiseCertificate } from '../chain-of-trust/certificate.ts';
import { KeyError, loadEd25519PrivateKey, loadOpenpgpPrivateKey } from '../chain-of-trust/keys.ts';
import { clearSign, ed25519Sign } from '../chain-of-trust/sign.ts';
import { CERTIFIED_LOG, COT_ASC, COT_JSON, COT_SIG } from '../chain-of-trust/verify.ts';
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, type Outcome, TaskError, type TaskFeature } from './feature.ts';

export const KEY_NOT_SECURE_MESSAGE =
  'Was expecting attempt to read private chain of trust key as task user to fail - however, it did not!';

const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';

function keyFiles(cfg: ResolvedConfig): string[] {
  return [cfg.signingKeyLocation, cfg.ed25519SigningKeyLocation].filter((k): k is string => !!k);
}

export function cotEnvironment(cfg: ResolvedConfig): CotEnvironment {
  const env: CotEnvironment = {};
  if (cfg.publicIP) env.publicIpAddress = cfg.publicIP;
  if (cfg.privateIP) env.privateIpAddress = cfg.privateIP;
  env.instanceId = cfg.instanceID ?? '';
  env.instanceType = cfg.instanceType ?? '';
  env.region = cfg.region ?? '';
  return env;
}

export const ADDITIONAL_DATA_FILE = 'chain-of-trust-additional-data.json';
const MAX_ADDITIONAL_DATA_BYTES = 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep merge where `over` wins: the task's extra data goes *under* the certificate (current generic-worker). */
export function mergeUnder(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isObject(v) && isObject(out[k]) ? mergeUnder(out[k] as Json, v) : v;
  return out;
}

/**
 * The task's optional `<taskDir>/chain-of-trust-additional-data.json`. generic-worker reads it as the task
 * user so a task cannot smuggle in files it may not read; here a symlink is refused (O_NOFOLLOW) and the
 * file must be a regular file owned by the task user, checked on the open descriptor (no race).
 */
export async function readAdditionalData(taskDir: string, taskUid: number | undefined): Promise<Json | undefined> {
  const file = path.join(taskDir, ADDITIONAL_DATA_FILE);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new TaskError(
      'internal-error',
      `could not read ${ADDITIONAL_DATA_FILE} as task user: ${code ?? ''} (symlinks are not followed)`,
    );
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new TaskError('internal-error', `${ADDITIONAL_DATA_FILE} is not a regular file`);
    if (taskUid !== undefined && st.uid !== taskUid) {
      throw new TaskError('internal-error', `${ADDITIONAL_DATA_FILE} is not owned by the task user`);
    }
    if (st.size > MAX_ADDITIONAL_DATA_BYTES) {
      throw new TaskError(
        'internal-error',
        `${ADDITIONAL_DATA_FILE} is larger than ${MAX_ADDITIONAL_DATA_BYTES} bytes`,
      );
    }
    const text = await fh.readFile('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new TaskError('internal-error', `${ADDITIONAL_DATA_FILE} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isObject(data)) throw new TaskError('internal-error', `${ADDITIONAL_DATA_FILE} must hold a JSON object`);
    return data;
  } finally {
    await fh.close();
  }
}

class ChainOfTrustTask implements TaskFeature {
  private readonly ctx: TaskContext;
  private readonly uploaded = new Map<string, string>();
  private keySafe = false;
  readonly reservedArtifacts: string[];

  constructor(ctx: TaskContext) {
    this.ctx = ctx;
    const cfg = ctx.config;
    this.reservedArtifacts = [
      CERTIFIED_LOG,
      ...(cfg.signingKeyLocation ? [COT_ASC] : []),
      ...(cfg.ed25519SigningKeyLocation ? [COT_JSON, COT_SIG] : []),
    ];
  }

  async start(): Promise<void> {
    const { ctx } = this;
    // Record the sha256 of every file uploaded from here on (payload artifacts upload in a later
    // feature's stop, which runs before ours): the uploader hashes the bytes it sent, before any gzip.
    const uploader = ctx.uploader;
    const s3 = uploader.s3.bind(uploader);
    const uploaded = this.uploaded;
    uploader.s3 = async (u: S3Upload) => {
      const r = await s3(u);
      if (r) uploaded.set(u.name, r.sha256);
      return r;
    };

    const user = ctx.taskUser;
    if (!user || ctx.config.runTasksAsCurrentUser) {
      throw new TaskError(
        'malformed-payload',
        `${KEY_NOT_SECURE_MESSAGE}\nChain of trust needs tasks to run as a separate task user (config runTasksAsCurrentUser: false); tasks on this worker run as the worker's own user, who can read the signing key.`,
      );
    }
    for (const file of keyFiles(ctx.config)) {
      // 0600 and owned by the worker (generic-worker does this at start-up), then prove it holds.
      await ctx.platform.makePrivate(file);
      if (await ctx.platform.userCanRead(file, user)) {
        throw new TaskError('malformed-payload', `${KEY_NOT_SECURE_MESSAGE}\nTask user ${user.name} can read ${file}.`);
      }
    }
    this.keySafe = true;
  }

  async stop(_outcome: Readonly<Outcome>): Promise<void> {
    const { ctx } = this;
    // Never sign with a key the task could read, and send nothing for a run that was cancelled.
    if (!this.keySafe || ctx.cancelled) return;
    const cfg = ctx.config;
    const expires = ctx.task.expires;
    const upload = (name: string, source: UploadSource, contentType = LOG_CONTENT_TYPE) =>
      ctx.uploader.s3({ name, source, contentType, expires, gzip: true });
    try {
      await upload(CERTIFIED_LOG, ctx.log.snapshot());

      const cert = buildCertificate({
        artifacts: Object.fromEntries([...this.uploaded].map(([name, sha256]) => [name, { sha256 }])),
        task: ctx.task,
        taskId: ctx.taskId,
        runId: ctx.runId,
        workerGroup: cfg.workerGroup,
        workerId: cfg.workerId,
        environment: cotEnvironment(cfg),
      });
      const extra = await readAdditionalData(ctx.taskDir, ctx.taskUser?.uid);
      const json = extra
        ? JSON.stringify(mergeUnder(extra, cert as unknown as Json), null, 2)
        : serialiseCertificate(cert);
      if (cfg.signingKeyLocation) {
        const asc = await clearSign(json, await loadOpenpgpPrivateKey(cfg.signingKeyLocation));
        await upload(COT_ASC, bufferSource(asc));
      }
      if (cfg.ed25519SigningKeyLocation) {
        const bytes = Buffer.from(json, 'utf8');
        const key = await loadEd25519PrivateKey(cfg.ed25519SigningKeyLocation);
        await upload(COT_JSON, bufferSource(bytes));
        await upload(COT_SIG, bufferSource(ed25519Sign(bytes, key)), 'application/octet-stream');
      }
    } catch (err) {
      if (err instanceof KeyError) throw new TaskError('internal-error', err.message);
      throw err;
    }
  }
}

export const chainOfTrustFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'chain-of-trust',
  after: ['payload-validator'],
  async initialise(cfg) {
    // Check the keys load now, so a missing or bad key stops the worker at start (11.0.1 exits 69).
    if ((cfg as { enableChainOfTrust?: boolean }).enableChainOfTrust === false) return;
    for (const file of keyFiles(cfg)) {
      if (file === cfg.signingKeyLocation) await loadOpenpgpPrivateKey(file);
      else await loadEd25519PrivateKey(file);
    }
  },
  enabled: (cfg) => {
    if ((cfg as { enableChainOfTrust?: boolean }).enableChainOfTrust === false)
      return 'config enableChainOfTrust is false';
    return keyFiles(cfg).length > 0 ? true : 'neither signingKeyLocation nor ed25519SigningKeyLocation is configured';
  },
  requested: (ctx) => ctx.payload?.features?.chainOfTrust === true,
  forTask: (ctx) => new ChainOfTrustTask(ctx),
};
