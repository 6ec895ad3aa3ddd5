// The download cache (generic-worker `fileCaches`): every fetched content source is stored once as
// `<downloadsDir>/<slugid>`, indexed by source key in `<downloadsDir>/file-caches.json`, and its SHA256
// is recomputed on every reuse so a tampered or truncated file is never mounted.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readIndex, writeIndex } from './cache-index.ts';
import { newSlug } from './slug.ts';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Content, type ContentOpener, cacheKey, describe, MountFailure, openContent, redact } from './content.ts';

export interface FileCacheEntry {
  file: string;
  sha256: string;
  size: number;
  created: number;
  lastUsed: number;
  hits: number;
}

export interface MountLog {
  info(message: string): void;
  warn(message: string): void;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export class DownloadCache {
  readonly dir: string;
  private readonly stateFile: string;
  entries: Record<string, FileCacheEntry> = {};

  private constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.stateFile = path.join(this.dir, 'file-caches.json');
  }

  static async load(dir: string): Promise<DownloadCache> {
    const c = new DownloadCache(dir);
    await mkdir(c.dir, { recursive: true });
    c.entries = await readIndex(c.stateFile);
    // Entries whose file vanished (deleted by hand, interrupted worker) are dropped, and files no entry
    // names (a download cut short by a crash) are deleted so they cannot fill the disk.
    for (const [key, e] of Object.entries(c.entries)) {
      if (!(await stat(e.file).catch(() => undefined))) delete c.entries[key];
    }
    const known = new Set(Object.values(c.entries).map((e) => path.basename(e.file)));
    for (const name of await readdir(c.dir)) {
      if (!known.has(name) && !name.startsWith('file-caches.json')) await rm(path.join(c.dir, name), { force: true });
    }
    await c.persist();
    return c;
  }

  private async persist(): Promise<void> {
    await writeIndex(this.stateFile, this.entries);
  }

  async evict(key: string): Promise<void> {
    const e = this.entries[key];
    if (!e) return;
    delete this.entries[key];
    await rm(e.file, { force: true });
    await this.persist();
  }

  /** Keys in eviction order: least used first, then least recently used. */
  evictionOrder(): string[] {
    return Object.entries(this.entries)
      .sort(([, a], [, b]) => a.hits - b.hits || a.lastUsed - b.lastUsed)
      .map(([k]) => k);
  }

  /**
   * A local file holding the content, verified against `content.sha256` when given: reused from the
   * cache if its recomputed hash still fits, downloaded otherwise. Throws MountFailure (task fails).
   */
  async obtain(content: Content, opener: ContentOpener, log: MountLog): Promise<FileCacheEntry> {
    const key = cacheKey(content);
    const required = content.sha256;
    const existing = this.entries[key];
    if (existing) {
      const sha = await sha256File(existing.file).catch(() => undefined);
      if (sha !== undefined && (required === undefined || sha === required)) {
        if (required === undefined) {
          log.warn(
            `[mounts] No SHA256 specified in task mounts for ${key} - SHA256 from downloaded file ${existing.file} is ${sha}.`,
          );
        } else {
          log.info(`[mounts] Found existing download for ${key} (${existing.file}) with correct SHA256 ${sha}`);
        }
        existing.hits++;
        existing.lastUsed = Date.now();
        await this.persist();
        return existing;
      }
      log.info(
        `[mounts] Found existing download of ${key} (${existing.file}) with SHA256 ${sha ?? '<unreadable>'} but task definition explicitly requires ${required} so deleting it`,
      );
      await this.evict(key);
    }

    const file = path.join(this.dir, newSlug());
    const src = describe(content);
    const hash = createHash('sha256');
    let size = 0;
    try {
      const body = await openContent(content, opener);
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(body, tap, createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      await rm(file, { force: true });
      throw new MountFailure(
        `[mounts] Could not fetch from ${src} into file ${file}: ${redact((err as Error).message)}`,
      );
    }
    const sha = hash.digest('hex');
    log.info(`[mounts] Downloaded ${size} bytes with SHA256 ${sha} from ${src} to ${file}`);
    if (required === undefined) {
      log.warn(
        `[mounts] Download ${file} of ${src} has SHA256 ${sha} but task payload does not declare a required value, so content authenticity cannot be verified`,
      );
    } else if (sha !== required) {
      await rm(file, { force: true });
      throw new MountFailure(
        `Download ${file} of ${src} has SHA256 ${sha} but task definition explicitly requires ${required}; not retrying download as there were no connection failures and HTTP response status code was 200`,
      );
    }
    const now = Date.now();
    const entry: FileCacheEntry = { file, sha256: sha, size, created: now, lastUsed: now, hits: 1 };
    this.entries[key] = entry;
    await this.persist();
    return entry;
  }
}
