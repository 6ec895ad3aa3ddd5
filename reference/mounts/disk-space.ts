// Garbage collection before each claim (generic-worker requiredDiskSpaceMegabytes): evict download
// caches first, then writable caches not in use, until the task directory's file system has enough
// free space; when nothing is left to delete, say so with generic-worker's message.
import { statfs } from 'node:fs/promises';
import type { DirectoryCaches } from './caches.ts';
import type { DownloadCache } from './download-cache.ts';

export type FreeBytes = (dir: string) => Promise<number>;

export const freeBytes: FreeBytes = async (dir) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

export class NotEnoughDiskSpace extends Error {}

export interface DiskSpaceResult {
  freeBytes: number;
  evictedDownloads: string[];
  evictedCaches: string[];
}

export async function ensureFreeDiskSpace(opts: {
  requiredMegabytes: number;
  dir: string;
  downloads: DownloadCache;
  caches: DirectoryCaches;
  free?: FreeBytes;
}): Promise<DiskSpaceResult> {
  const free = opts.free ?? freeBytes;
  const required = opts.requiredMegabytes * 1024 * 1024;
  const result: DiskSpaceResult = { freeBytes: await free(opts.dir), evictedDownloads: [], evictedCaches: [] };
  for (const key of opts.downloads.evictionOrder()) {
    if (result.freeBytes >= required) return result;
    await opts.downloads.evict(key);
    result.evictedDownloads.push(key);
    result.freeBytes = await free(opts.dir);
  }
  for (const name of opts.caches.evictionOrder()) {
    if (result.freeBytes >= required) return result;
    await opts.caches.purge(name);
    result.evictedCaches.push(name);
    result.freeBytes = await free(opts.dir);
  }
  if (result.freeBytes < required) {
    throw new NotEnoughDiskSpace(
      `Not able to free up enough disk space - require ${required} bytes, but only have ${result.freeBytes} bytes - and nothing left to delete`,
    );
  }
  return result;
}
