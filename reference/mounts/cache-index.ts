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

export async function writeIndex<T>(file: string, entries: Record<string, T>): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(entries, null, 2));
  await rename(tmp, file);
}
