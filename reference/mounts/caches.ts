// Writable directory caches (generic-worker `directoryCaches`): one directory per cache name under
// cachesDir, indexed in `<cachesDir>/directory-caches.json`, moved (renamed) into the task directory
// for the task and back afterwards, so its content persists across tasks.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readIndex, writeIndex } from './cache-index.ts';
import { newSlug } from './slug.ts';
import { MountFailure } from './content.ts';
import type { MountLog } from './download-cache.ts';

export interface DirectoryCacheEntry {
  path: string;
  created: number;
  lastUsed: number;
  hits: number;
  /** Set while a task has it mounted: such an entry is never garbage-collected. */
  inUse?: boolean;
}

export class DirectoryCaches {
  readonly dir: string;
  private readonly stateFile: string;
  entries: Record<string, DirectoryCacheEntry> = {};
  /**
   * Task directories holding a fresh copy of a cache that another running task had mounted already
   * (capacity > 1): path in the task → cache name. Not in the index; see unmount.
   */
  private readonly borrowed = new Map<string, string>();

  private constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.stateFile = path.join(this.dir, 'directory-caches.json');
  }

  static async load(dir: string): Promise<DirectoryCaches> {
    const c = new DirectoryCaches(dir);
    await mkdir(c.dir, { recursive: true });
    c.entries = await readIndex(c.stateFile);
    // A cache still moved into a task dir when the worker stopped is lost: forget it.
    for (const [name, e] of Object.entries(c.entries)) {
      e.inUse = false;
      if (!(await stat(e.path).catch(() => undefined))) delete c.entries[name];
    }
    // Directories no entry names (created just before a crash) would only take space.
    const known = new Set(Object.values(c.entries).map((e) => path.basename(e.path)));
    for (const name of await readdir(c.dir)) {
      if (!known.has(name) && !name.startsWith('directory-caches.json')) {
        await rm(path.join(c.dir, name), { recursive: true, force: true });
      }
    }
    await c.persist();
    return c;
  }

  private async persist(): Promise<void> {
    await writeIndex(this.stateFile, this.entries);
  }

  /** One mount or unmount at a time: tasks running at once (capacity > 1) must not both create one cache. */
  private lock: Promise<unknown> = Promise.resolve();
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  /**
   * Moves the cache into `target`, creating it first (pre-populated by `populate`) when new.
   * Throws MountFailure when the target is in the way.
   */
  mount(name: string, target: string, log: MountLog, populate?: (dir: string) => Promise<void>): Promise<void> {
    return this.exclusive(() => this.mountNow(name, target, log, populate));
  }

  private async mountNow(
    name: string,
    target: string,
    log: MountLog,
    populate?: (dir: string) => Promise<void>,
  ): Promise<void> {
    let entry: DirectoryCacheEntry | undefined = this.entries[name];
    if (entry?.inUse) {
      // Another task running now holds it (capacity > 1): this task gets a copy of its own, as
      // generic-worker v106 keeps one per concurrent user (mounts_feature.go, trimPoolExcess).
      await this.mountCopy(name, target, log, populate);
      return;
    }
    if (entry && !(await stat(entry.path).catch(() => undefined))) {
      // Lost (e.g. deleted while a crashed worker had it mounted): start it afresh rather than fail.
      log.info(`[mounts] Writable directory cache '${name}' at ${entry.path} is missing - creating a new one`);
      delete this.entries[name];
      entry = undefined;
    }
    if (!entry) {
      const dir = path.join(this.dir, newSlug());
      log.info(`[mounts] No existing writable directory cache '${name}' - creating ${dir}`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        await populate?.(dir);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      const now = Date.now();
      entry = { path: dir, created: now, lastUsed: now, hits: 0 };
      this.entries[name] = entry;
      await this.persist();
    } else {
      log.info(`[mounts] Moving existing writable directory cache ${name} from ${entry.path} to ${target}`);
    }
    if (await stat(target).catch(() => undefined)) {
      throw new MountFailure(
        `[mounts] cannot mount writable directory cache '${name}' at ${target}: path already exists`,
      );
    }
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    try {
      await rename(entry.path, target);
    } catch (err) {
      throw new MountFailure(
        `[mounts] Could not mount writable directory cache '${name}' at ${target}: ${(err as Error).message}`,
      );
    }
    entry.inUse = true;
    entry.hits++;
    entry.lastUsed = Date.now();
    await this.persist();
    log.info(`[mounts] Successfully mounted writable directory cache '${target}'`);
  }

  private async mountCopy(
    name: string,
    target: string,
    log: MountLog,
    populate?: (dir: string) => Promise<void>,
  ): Promise<void> {
    if (await stat(target).catch(() => undefined)) {
      throw new MountFailure(
        `[mounts] cannot mount writable directory cache '${name}' at ${target}: path already exists`,
      );
    }
    log.info(`[mounts] Writable directory cache '${name}' is in use by another task - creating a new one at ${target}`);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await mkdir(target, { mode: 0o700 });
    try {
      await populate?.(target);
    } catch (err) {
      await rm(target, { recursive: true, force: true });
      throw err;
    }
    this.borrowed.set(target, name);
    log.info(`[mounts] Successfully mounted writable directory cache '${target}'`);
  }

  /** Moves the cache back out of the task directory; on failure the cache is dropped and the task fails. */
  unmount(name: string, source: string, log: MountLog): Promise<void> {
    return this.exclusive(() => this.unmountNow(name, source, log));
  }

  private async unmountNow(name: string, source: string, log: MountLog): Promise<void> {
    if (this.borrowed.get(source) === name) {
      // A concurrent task's copy: kept as the cache when the original is gone, otherwise dropped (one
      // preserved copy per name, where generic-worker v106 keeps up to capacity of them).
      this.borrowed.delete(source);
      if (!this.entries[name]) {
        const dir = path.join(this.dir, newSlug());
        await rename(source, dir);
        const now = Date.now();
        this.entries[name] = { path: dir, created: now, lastUsed: now, hits: 1 };
        await this.persist();
        log.info(`[mounts] Preserving cache: Moved "${source}" to "${dir}"`);
      } else {
        log.info(`[mounts] Removing the concurrent copy of cache ${name} at ${source} (the cache is kept once)`);
        await rm(source, { recursive: true, force: true });
      }
      return;
    }
    const entry = this.entries[name];
    if (!entry) return;
    log.info(`[mounts] Preserving cache: Moving "${source}" to "${entry.path}"`);
    try {
      await rename(source, entry.path);
      entry.inUse = false;
      entry.lastUsed = Date.now();
      await this.persist();
    } catch (err) {
      log.info(`[mounts] Removing cache ${name} from cache table`);
      log.info(`[mounts] Deleting cache ${name} file(s) at ${source}`);
      delete this.entries[name];
      await this.persist();
      await rm(source, { recursive: true, force: true }).catch(() => {});
      throw new MountFailure(`Could not persist cache "${name}" due to ${(err as Error).message}`);
    }
  }

  /** Removes a cache (and, when mounted, its directory in the task). */
  purge(name: string, mountedAt?: string): Promise<void> {
    return this.exclusive(() => this.purgeNow(name, mountedAt));
  }

  private async purgeNow(name: string, mountedAt?: string): Promise<void> {
    if (mountedAt !== undefined && this.borrowed.delete(mountedAt))
      await rm(mountedAt, { recursive: true, force: true });
    const entry = this.entries[name];
    if (!entry) return;
    delete this.entries[name];
    await this.persist();
    await rm(mountedAt ?? entry.path, { recursive: true, force: true });
    if (mountedAt) await rm(entry.path, { recursive: true, force: true });
  }

  /** Names of caches not mounted by a task, least recently used first. */
  evictionOrder(): string[] {
    return Object.entries(this.entries)
      .filter(([, e]) => !e.inUse)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed)
      .map(([n]) => n);
  }
}
