// The JSON index both worker caches (download cache, writable directory caches) keep beside their
// content, so they survive a worker restart. Written to a temp file and renamed, so a crash mid-write
// leaves the previous index rather than a truncated one.
import { readFile, rename, writeFile } from 'node:fs/promises';

/** The entries recorded in `file`; a missing or unreadable index is an empty one. */
export async function readIndex<T>(file: string): Promise<Record<string, T>> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return {};
  }
}

/** Writes queued per index file: tasks running at once (capacity > 1) must not interleave two writes. */
const queued = new Map<string, Promise<void>>();

export function writeIndex<T>(file: string, entries: Record<string, T>): Promise<void> {
  // Serialised now, so the last call's state is the one left on disk.
  const text = JSON.stringify(entries, null, 2);
  const write = async () => {
    const tmp = `${file}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  };
  const next = (queued.get(file) ?? Promise.resolve()).then(write, write);
  queued.set(file, next);
  void next
    .finally(() => {
      if (queued.get(file) === next) queued.delete(file);
    })
    .catch(() => {});
  return next;
}
