// Finding and killing every process a user owns by reading /proc directly: this also catches
// processes that double-forked out of the task's process group or ignore SIGTERM.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcInfo {
  pid: number;
  uid: number;
  state: string;
  name: string;
}

/** Live (non-zombie) processes whose real or effective uid is `uid`. Zombies are already dead;
 * only their parent can reap them, so they are not counted as left behind. */
export async function processesOf(uid: number, procRoot = '/proc'): Promise<ProcInfo[]> {
  const found: ProcInfo[] = [];
  let seen = 0;
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    // Synchronous reads of /proc are far cheaper than one async read each; yield now and then.
    if (++seen % 256 === 0) await new Promise((r) => setImmediate(r));
    let status: string;
    try {
      status = readFileSync(`${procRoot}/${entry}/status`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? '?';
    if (!uids || state === 'Z' || state === 'X') continue;
    if (Number(uids[1]) === uid || Number(uids[2]) === uid) {
      found.push({ pid: Number(entry), uid, state, name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '' });
    }
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGSTOP then SIGKILL everything the uid owns until nothing is left. Stopping first keeps a
 * forking process from spawning new children between the scan and the kill. Bounded rounds. */
export async function killAllOf(uid: number, rounds = 100): Promise<number> {
  if (uid === 0 || uid === process.getuid?.()) throw new Error(`refusing to kill every process of uid ${uid}`);
  const killed = new Set<number>();
  for (let round = 0; round < rounds; round++) {
    const procs = await processesOf(uid);
    if (procs.length === 0) return killed.size;
    for (const p of procs) signal(p.pid, 'SIGSTOP');
    for (const p of procs) {
      signal(p.pid, 'SIGKILL');
      killed.add(p.pid);
    }
    await sleep(Math.min(5 + round * 5, 50));
  }
  const left = await processesOf(uid);
  if (left.length > 0) {
    throw new Error(
      `processes of uid ${uid} survived ${rounds} kill rounds: ${left.map((p) => `${p.pid} (${p.name})`).join(', ')}`,
    );
  }
  return killed.size;
}
