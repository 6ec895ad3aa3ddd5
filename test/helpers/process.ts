// Process checks shared by tests that prove a worker killed what a task started, and the bounded wait they poll with.
import { readFileSync } from 'node:fs';

/**
 * Whether a process is still running. A killed process can linger as a zombie until something reaps
 * it; that counts as dead. kill(0) comes first, so macOS (no /proc) still gets an answer.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** The pid a task wrote to `file`, or undefined while the file is missing or still empty. */
export function readPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Poll `fn` every 50 ms until it returns something other than undefined or false; throws naming `what` after `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
