// payload.mounts (generic-worker-behaviour.md §5): file mounts, read-only directories and writable
// directory caches, with content from a URL, another task's artifact, raw or base64 text. Payload
// problems resolve malformed-payload; download, checksum, archive and file-system problems fail the task.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import {
  ArchiveError,
  type ArchiveFormat,
  decompressFile,
  extractArchive,
  type FileFormat,
  isSupportedFileFormat,
  isSupportedFormat,
} from '../mounts/archive.ts';
import { DirectoryCaches } from '../mounts/caches.ts';
import { type Content, type ContentOpener, MountFailure, PayloadError, parseContent } from '../mounts/content.ts';
import { ensureFreeDiskSpace, type DiskSpaceResult, type FreeBytes } from '../mounts/disk-space.ts';
import { DownloadCache, type MountLog } from '../mounts/download-cache.ts';
import { assertNoEscapingLinks, resolveInside, UnsafePathError } from '../mounts/paths.ts';
import { PurgeChecker } from '../mounts/purge.ts';
import type { TaskUser } from '../platform/platform.ts';
import { permanentCredentials, purgeRequests } from '../queue.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, type Outcome, TaskError, type TaskFeature } from './feature.ts';

export type Mount =
  | { kind: 'file'; file: string; content: Content; format?: FileFormat }
  | { kind: 'readOnly'; directory: string; content: Content; format: ArchiveFormat }
  | { kind: 'cache'; directory: string; cacheName: string; content?: Content; format?: ArchiveFormat };

function parseFormat(v: unknown, where: string): ArchiveFormat {
  if (typeof v !== 'string' || !isSupportedFormat(v)) {
    throw new PayloadError(`${where}.format: archive format ${JSON.stringify(v)} is not supported by this worker`);
  }
  return v;
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new PayloadError(`${where}.${key}: must be a non-empty string`);
  return v;
}

/** Parses payload.mounts; the kind is chosen by key presence (cacheName → directory → file), as generic-worker. */
export function parseMounts(raw: unknown): Mount[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new PayloadError('task.payload.mounts: must be an array');
  return raw.map((m, i): Mount => {
    const where = `task.payload.mounts[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      throw new PayloadError(`Unrecognised mount entry in payload - ${JSON.stringify(m)}`);
    }
    const o = m as Record<string, unknown>;
    if ('cacheName' in o) {
      if ('content' in o !== 'format' in o) throw new PayloadError(`${where}: content and format go together`);
      return {
        kind: 'cache',
        directory: str(o, 'directory', where),
        cacheName: str(o, 'cacheName', where),
        ...(o.content !== undefined
          ? { content: parseContent(o.content, `${where}.content`), format: parseFormat(o.format, where) }
          : {}),
      };
    }
    if ('directory' in o) {
      return {
        kind: 'readOnly',
        directory: str(o, 'directory', where),
        content: parseContent(o.content, `${where}.content`),
        format: parseFormat(o.format, where),
      };
    }
    if ('file' in o) {
      const file = str(o, 'file', where);
      const content = parseContent(o.content, `${where}.content`);
      if (!('format' in o)) return { kind: 'file', file, content };
      if (typeof o.format !== 'string' || !isSupportedFileFormat(o.format))
        throw new PayloadError(
          `${where}.format: compression format ${JSON.stringify(o.format)} is not supported by this worker`,
        );
      return { kind: 'file', file, content, format: o.format };
    }
    throw new PayloadError(`Unrecognised mount entry in payload - ${JSON.stringify(m)}`);
  });
}

export function requiredCacheScopes(mounts: Mount[]): string[] {
  return mounts.flatMap((m) => (m.kind === 'cache' ? [`generic-worker:cache:${m.cacheName}`] : []));
}

/** Every artifact-content taskId must be a dependency (bug 1468155). */
export function checkDependencies(mounts: Mount[], dependencies: unknown): void {
  const deps = Array.isArray(dependencies) ? dependencies : [];
  for (const m of mounts) {
    const c = m.content;
    if (c?.kind === 'artifact' && !deps.includes(c.taskId)) {
      throw new PayloadError(
        `[mounts] task.dependencies needs to include ${c.taskId} since one or more of its artifacts are mounted`,
      );
    }
  }
}

/** Worker-lifetime state shared by every task (download cache, writable caches, purge-cache clock). */
export interface MountState {
  downloads: DownloadCache;
  caches: DirectoryCaches;
  purge: PurgeChecker;
}

const states = new Map<string, MountState>();

export async function loadMountState(cfg: ResolvedConfig): Promise<MountState> {
  const key = `${path.resolve(cfg.downloadsDir)}\0${path.resolve(cfg.cachesDir)}`;
  let s = states.get(key);
  if (!s && path.resolve(cfg.downloadsDir) === path.resolve(cfg.cachesDir)) {
    // Each directory's loader removes what its own index does not name, so they cannot share one.
    throw new Error(`config downloadsDir and cachesDir must be different directories (both ${cfg.cachesDir})`);
  }
  if (!s) {
    const credentials = permanentCredentials(cfg);
    s = {
      downloads: await DownloadCache.load(cfg.downloadsDir),
      caches: await DirectoryCaches.load(cfg.cachesDir),
      purge: new PurgeChecker(
        (id, q) => purgeRequests(cfg.rootUrl, credentials, id, q),
        `${cfg.provisionerId}/${cfg.workerType}`,
      ),
    };
    states.set(key, s);
  }
  return s;
}

/**
 * requiredDiskSpaceMegabytes: the worker loop calls this before each claimWork. Throws
 * NotEnoughDiskSpace (generic-worker's message) when even empty caches leave too little space.
 */
export async function freeDiskSpaceBeforeClaim(cfg: ResolvedConfig, free?: FreeBytes): Promise<DiskSpaceResult> {
  const s = await loadMountState(cfg);
  await mkdir(cfg.tasksDir, { recursive: true });
  return ensureFreeDiskSpace({
    requiredMegabytes: cfg.requiredDiskSpaceMegabytes,
    dir: cfg.tasksDir,
    downloads: s.downloads,
    caches: s.caches,
    free,
  });
}

function contentOpener(ctx: TaskContext): ContentOpener {
  return {
    artifactUrl(taskId, artifact) {
      const q = ctx.credentials.queue;
      // Public artifacts need no signature; others are fetched with the run's credentials (a bewit).
      return artifact.startsWith('public/')
        ? q.latestArtifactUrl(taskId, artifact)
        : q.latestArtifactUrl(taskId, artifact, 30 * 60);
    },
  };
}

/** The worker's own account, as a TaskUser, to take cache ownership back from the task user. */
function workerUser(): TaskUser {
  const u = userInfo();
  return { name: u.username, home: u.homedir, uid: u.uid, gid: u.gid, groups: [] };
}

function asTaskError(err: unknown): unknown {
  if (err instanceof PayloadError || err instanceof UnsafePathError)
    return new TaskError('malformed-payload', err.message);
  if (err instanceof MountFailure || err instanceof ArchiveError) return new TaskError('failed', err.message);
  return err;
}

class MountsTask implements TaskFeature {
  private readonly ctx: TaskContext;
  private readonly mounts: Mount[];
  private readonly parseError: unknown;
  private readonly mounted: { name: string; target: string }[] = [];
  private state: MountState | undefined;
  readonly requiredScopes: string[][];
  private readonly log: MountLog;

  constructor(ctx: TaskContext) {
    this.ctx = ctx;
    this.log = { info: (m) => ctx.log.info(m), warn: (m) => ctx.log.warn(m) };
    let mounts: Mount[] = [];
    try {
      mounts = parseMounts(ctx.payload?.mounts);
    } catch (err) {
      // forTask may not throw: the error is raised from start() so the run resolves malformed-payload.
      this.parseError = err;
    }
    this.mounts = mounts;
    this.requiredScopes = [requiredCacheScopes(mounts)];
  }

  async start(): Promise<void> {
    try {
      if (this.parseError) throw this.parseError;
      checkDependencies(this.mounts, this.ctx.task.dependencies);
      const targets = this.mounts.map((m) =>
        resolveInside(this.ctx.taskDir, m.kind === 'file' ? m.file : m.directory, 'mount path'),
      );
      this.state = await loadMountState(this.ctx.config);
      const usesCaches = this.mounts.some((m) => m.kind === 'cache');
      await this.state.purge.check(this.state.caches, usesCaches, this.log);
      for (const [i, m] of this.mounts.entries()) await this.mountOne(m, targets[i]!);
    } catch (err) {
      throw asTaskError(err);
    }
  }

  private async mountOne(m: Mount, target: string): Promise<void> {
    const s = this.state!;
    const opener = contentOpener(this.ctx);
    await assertNoEscapingLinks(this.ctx.taskDir, target, 'mount path');
    const existing = await stat(target).catch(() => undefined);
    // Parents the payload path needs are created now, so the task user can be given them too.
    const createdParent = await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    if (m.kind === 'file') {
      if (existing?.isDirectory()) {
        throw new MountFailure(`[mounts] cannot mount file at path ${target} since it already exists as a directory`);
      }
      const entry = await s.downloads.obtain(m.content, opener, this.log);
      if (m.format) {
        // generic-worker's words (mounts_feature.go), so logs read alike.
        this.log.info(`[mounts] Decompressing ${m.format} file ${entry.file} to ${target}`);
        await decompressFile(entry.file, m.format, target);
      } else {
        this.log.info(`[mounts] Copying ${entry.file} to ${target}`);
        await copyFile(entry.file, target);
      }
    } else if (m.kind === 'readOnly') {
      if (existing && !existing.isDirectory()) {
        throw new MountFailure(`[mounts] cannot mount directory at path ${target} since it already exists as a file`);
      }
      const entry = await s.downloads.obtain(m.content, opener, this.log);
      await mkdir(target, { recursive: true, mode: 0o700 });
      this.log.info(`[mounts] Extracting ${m.format} file ${entry.file} to '${target}'`);
      await extractArchive(entry.file, m.format, target);
    } else {
      if (existing && !existing.isDirectory()) {
        throw new MountFailure(
          `[mounts] cannot mount writable directory cache at path ${target} since it already exists as a file`,
        );
      }
      const { content, format } = m;
      const populate =
        content && format
          ? async (dir: string) => {
              const entry = await s.downloads.obtain(content, opener, this.log);
              this.log.info(`[mounts] Extracting ${format} file ${entry.file} to '${dir}'`);
              await extractArchive(entry.file, format, dir);
            }
          : undefined;
      await s.caches.mount(m.cacheName, target, this.log, populate);
      this.mounted.push({ name: m.cacheName, target });
    }
    // The task user (OS-user sandbox) owns what was mounted, including new parent directories.
    if (this.ctx.taskUser) await this.ctx.platform.chownRecursive(createdParent ?? target, this.ctx.taskUser);
  }

  async stop(outcome: Readonly<Outcome>): Promise<void> {
    const s = this.state;
    if (!s || this.mounted.length === 0) return;
    const purgeCodes: unknown[] = this.ctx.payload?.onExitStatus?.purgeCaches ?? [];
    const exitCode = this.ctx.exitCode;
    let purgeReason: string | undefined;
    if (outcome.aborted) {
      purgeReason =
        '[mounts] Purging caches since the task was aborted and may have left them in an inconsistent state';
    } else if (exitCode !== undefined && exitCode !== null && purgeCodes.includes(exitCode)) {
      purgeReason = `[mounts] Purging caches since last command had exit code ${exitCode} which is listed in task.Payload.OnExitStatus.PurgeCaches array`;
    }
    if (purgeReason) this.log.info(purgeReason);
    let failure: unknown;
    for (const { name, target } of this.mounted.reverse()) {
      try {
        if (purgeReason) await s.caches.purge(name, target);
        else {
          // Back to the worker's own user first: the sandbox deletes whatever the task user still owns.
          if (this.ctx.taskUser) await this.ctx.platform.chownRecursive(target, workerUser());
          await s.caches.unmount(name, target, this.log);
        }
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw asTaskError(failure);
  }
}

export const mountsFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'mounts',
  after: ['payload-validator'],
  async initialise(cfg) {
    await loadMountState(cfg);
  },
  // enableMounts (current generic-worker, default true): a task with mounts on a worker without them is malformed.
  enabled: (cfg) =>
    (cfg as { enableMounts?: boolean }).enableMounts === false ? 'config enableMounts is false' : true,
  requested: (ctx) => ctx.payload?.mounts !== undefined,
  forTask: (ctx) => new MountsTask(ctx),
};
