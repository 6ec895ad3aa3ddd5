// features.chainOfTrust (generic-worker-behaviour.md §4): after the payload artifacts are uploaded,
// publish public/logs/certified.log and a certificate of every uploaded artifact's sha256, signed with
// OpenPGP (public/chainOfTrust.json.asc, key at signingKeyLocation, as 11.0.1) and/or ed25519
// (public/chain-of-trust.json + .sig, key at ed25519SigningKeyLocation, as current generic-worker).
// The key must be unreadable by the task user, so tasks running as the worker's own user are refused.
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Upload } from '../artifact-upload.ts';
import {
  buildCertificate,
  type CotEnvironment,
  serialiseCertificate,
  sha256OfFile,
} from '../chain-of-trust/certificate.ts';
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
    // feature's stop, which runs before ours); hashed from the file on disk, before any gzip.
    const uploader = ctx.uploader;
    const s3 = uploader.s3.bind(uploader);
    const uploaded = this.uploaded;
    uploader.s3 = async (u: S3Upload) => {
      await s3(u);
      uploaded.set(u.name, await sha256OfFile(u.path));
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
    const dir = path.join(ctx.taskDir, 'generic-worker');
    const expires = ctx.task.expires;
    const upload = (name: string, file: string, contentType = LOG_CONTENT_TYPE) =>
      ctx.uploader.s3({ name, path: file, contentType, expires, gzip: true });
    try {
      const certified = path.join(dir, 'certified.log');
      await copyFile(ctx.log.path, certified);
      await upload(CERTIFIED_LOG, certified);

      const cert = buildCertificate({
        artifacts: Object.fromEntries([...this.uploaded].map(([name, sha256]) => [name, { sha256 }])),
        task: ctx.task,
        taskId: ctx.taskId,
        runId: ctx.runId,
        workerGroup: cfg.workerGroup,
        workerId: cfg.workerId,
        environment: cotEnvironment(cfg),
      });
      const json = serialiseCertificate(cert);
      if (cfg.signingKeyLocation) {
        const asc = path.join(dir, 'chainOfTrust.json.asc');
        await writeFile(asc, await clearSign(json, await loadOpenpgpPrivateKey(cfg.signingKeyLocation)));
        await upload(COT_ASC, asc);
      }
      if (cfg.ed25519SigningKeyLocation) {
        const bytes = Buffer.from(json, 'utf8');
        const key = await loadEd25519PrivateKey(cfg.ed25519SigningKeyLocation);
        const jsonFile = path.join(dir, 'chain-of-trust.json');
        const sigFile = path.join(dir, 'chain-of-trust.json.sig');
        await writeFile(jsonFile, bytes);
        await writeFile(sigFile, ed25519Sign(bytes, key));
        await upload(COT_JSON, jsonFile);
        await upload(COT_SIG, sigFile, 'application/octet-stream');
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
    // Keys are 0600 and the worker's own: check they load now, so a bad key stops the worker at start.
    for (const file of keyFiles(cfg)) {
      if (file === cfg.signingKeyLocation) await loadOpenpgpPrivateKey(file);
      else await loadEd25519PrivateKey(file);
    }
  },
  enabled: (cfg) =>
    keyFiles(cfg).length > 0 ? true : 'neither signingKeyLocation nor ed25519SigningKeyLocation is configured',
  requested: (ctx) => ctx.payload?.features?.chainOfTrust === true,
  forTask: (ctx) => new ChainOfTrustTask(ctx),
};
