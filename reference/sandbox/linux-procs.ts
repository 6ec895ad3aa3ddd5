// Finding and killing every process a user owns by reading /proc directly: this also catches
// processes that double-forked out of the task's process group or ignore SIGTERM. The /proc walk and
// the stop-then-kill rounds are shared with task-processes.ts (a run's processes, as the worker's user).
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcInfo {
  pid: number;
  uid: number;
  state: string;
  name: string;
}

/**
 * The pids listed in `procRoot`. Callers read each process's files synchronously (an order of magnitude
 * cheaper than one async read each), so this yields to the event loop every 256 processes.
 */
export async function* procPids(procRoot = '/proc'): AsyncGenerator<number> {
  let seen = 0;
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    if (++seen % 256 === 0) await new Promise((r) => setImmediate(r));
    yield Number(entry);
  }
}

/** Live (non-zombie) processes whose real or effective uid is `uid`. Zombies are already dead;
 * only their parent can reap them, so they are not counted as left behind. */
export async function processesOf(uid: number, procRoot = '/proc'): Promise<ProcInfo[]> {
  const found: ProcInfo[] = [];
  for await (const pid of procPids(procRoot)) {
    let status: string;
    try {
      status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
    const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? '?';
    if (!uids || state === 'Z' || state === 'X') continue;
    if (Number(uids[1]) === uid || Number(uids[2]) === uid) {
      found.push({ pid, uid, state, name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '' });
    }
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  return true;
}

/**
 * SIGSTOP then SIGKILL what `find` lists until it lists nothing (stopping first keeps a forking process
 * from adding children between the scan and the kill), in at most `rounds` rounds. `send` answers false
 * for a process the worker may not signal: it is refused and left out from then on. `left` is what the
 * last scan still found.
 */
export async function stopAndKill<P extends { pid: number }>(
  find: () => Promise<P[]>,
  send: (pid: number, sig: NodeJS.Signals) => boolean,
  rounds: number,
): Promise<{ killed: number[]; refused: number[]; left: P[] }> {
  const killed = new Set<number>();
  const refused = new Set<number>();
  const live = async () => (await find()).filter((p) => !refused.has(p.pid));
  const result = (left: P[]) => ({ killed: [...killed], refused: [...refused], left });
  for (let round = 0; round < rounds; round++) {
    const procs = await live();
    if (procs.length === 0) return result([]);
    for (const { pid } of procs) if (!send(pid, 'SIGSTOP')) refused.add(pid);
    for (const { pid } of procs) if (!refused.has(pid) && send(pid, 'SIGKILL')) killed.add(pid);
    await sleep(Math.min(5 + round * 5, 50));
  }
  return result(await live());
}

/** SIGSTOP then SIGKILL everything the uid owns until nothing is left (stopAndKill). */
export async function killAllOf(uid: number, rounds = 100): Promise<number> {
  if (uid === 0 || uid === process.getuid?.()) throw new Error(`refusing to kill every process of uid ${uid}`);
  const { killed, left } = await stopAndKill(() => processesOf(uid), signal, rounds);
  if (left.length > 0) {
    throw new Error(
      `processes of uid ${uid} survived ${rounds} kill rounds: ${left.map((p) => `${p.pid} (${p.name})`).join(', ')}`,
    );
  }
  return killed.length;
}
