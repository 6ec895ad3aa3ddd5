// The host side of a case (fixture `setup.host`, issue 10): files a task must never read or change, a
// directory for marker pid files, a small filesystem for disk-full cases, and a second worker run after
// the first one was killed. What the runner finds on the host when the last worker exits becomes
// Observation.host, which the invariants of spec/security/invariants.ts judge.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ObservedHost } from '../spec/types.ts';
import { freePortBlock, releasePorts } from './ports.ts';
import type { FixtureCase, SignalStep } from './types.ts';

/** What the runner passes to one worker start; `keepGroup` leaves the worker's process group alone. */
export interface SpawnOptions {
  keepGroup?: boolean;
  onExit?: () => void;
  /** Start this worker with another config file: [the case's, this one's] (argv entries are swapped). */
  config?: [string, string];
}

/** One worker run as run-case.ts's spawnWorker saw it. */
export interface WorkerResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** The signal steps given to this run that were never sent (Observation.signalsNotSent). */
  signalsNotSent: string[];
}

/** Names a case gives files it tries to write outside its task directory; the runner looks for them. */
export const ESCAPE_NAME = 'tc-kit-escape';
const VICTIM_TEXT = 'TC-KIT-VICTIM-ORIGINAL\n';
const WALK_LIMIT = 20_000;

interface Planted {
  path: string;
  kind: 'file' | 'dir';
  content?: string;
  entries?: string[];
  uid: number;
  mode?: number;
}

/** The placeholders a case's host fixtures give it, by where HostEnv puts them (plan-view.ts shows them too). */
export function hostVars(f: FixtureCase, caseDir: string, slug: string): Record<string, string> {
  const host = join(caseDir, 'host');
  return {
    SENTINEL: join(host, 'sentinel'),
    VICTIM: join(host, 'victim'),
    VICTIM_DIR: join(host, 'victim-dir'),
    MARKERS: join(caseDir, 'markers'),
    ESCAPE_TMP: `/tmp/${ESCAPE_NAME}-${slug}`,
    ...(f.setup?.host?.smallFs ? { SCRATCH: join(caseDir, 'scratch') } : {}),
  };
}

/** The host for a case in `caseDir`, prepared by the constructor; `release()` undoes it. */
export class HostEnv {
  readonly vars: Record<string, string>;
  /** Why the case cannot run here (a small filesystem could not be mounted). */
  skip?: string;
  readonly sentinel = `TC-KIT-SENTINEL-${randomBytes(12).toString('hex')}`;
  private readonly planted: Planted[] = [];
  private readonly mounts: string[] = [];
  private observedHost?: ObservedHost;
  private taskIds: string[] = [];

  private readonly f: FixtureCase;
  private readonly caseDir: string;
  /** The case's slug: absolute escape targets in /tmp carry it (tc-kit-escape-<slug>…). */
  private readonly slug: string;

  constructor(f: FixtureCase, caseDir: string, slug: string) {
    this.f = f;
    this.caseDir = caseDir;
    this.slug = slug;
    this.vars = hostVars(f, caseDir, slug);
    const { SENTINEL: sentinel, VICTIM: victim, VICTIM_DIR: victimDir, MARKERS: markers } = this.vars;
    const host = join(caseDir, 'host');
    mkdirSync(host, { recursive: true, mode: 0o755 });
    chmodSync(host, 0o755);
    writeFileSync(sentinel, `${this.sentinel}\n`, { mode: 0o600 });
    chmodSync(sentinel, 0o600);
    writeFileSync(victim, VICTIM_TEXT, { mode: 0o644 });
    chmodSync(victim, 0o644);
    mkdirSync(victimDir, { mode: 0o755 });
    chmodSync(victimDir, 0o755);
    writeFileSync(join(victimDir, 'vf'), VICTIM_TEXT, { mode: 0o644 });
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    this.planted.push(
      { path: sentinel, kind: 'file', content: `${this.sentinel}\n`, uid, mode: 0o600 },
      { path: victim, kind: 'file', content: VICTIM_TEXT, uid },
      { path: victimDir, kind: 'dir', entries: ['vf'], uid },
      { path: join(victimDir, 'vf'), kind: 'file', content: VICTIM_TEXT, uid },
    );
    // World-writable and sticky, like /tmp: task users of any uid leave their pid files here.
    mkdirSync(markers, { mode: 0o1777 });
    chmodSync(markers, 0o1777);
    const small = f.setup?.host?.smallFs;
    if (small) {
      const target = small.at === 'tasks' ? join(caseDir, 'tasks') : join(caseDir, 'scratch');
      mkdirSync(target, { recursive: true });
      this.skip = this.mountSmall(target, small.mb, small.at === 'tasks' ? '0755' : '1777');
    }
  }

  private mountSmall(target: string, mb: number, mode: string): string | undefined {
    if (process.platform !== 'linux') return `needs a ${mb} MiB tmpfs, which the runner mounts on Linux only`;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=${mode}`, 'tc-kit-small', target], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 10_000,
      });
      this.mounts.push(target);
      return undefined;
    } catch (err) {
      const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
      return `needs a ${mb} MiB tmpfs on ${target}, which could not be mounted: ${why || 'mount failed'}`;
    }
  }

  private ports: number[] = [];
  private configFile = '';

  /** The case's config file and loopback ports (a worker started alongside gets other ports). */
  setWorker(configFile: string, ports: number[]): void {
    this.configFile = configFile;
    this.ports = ports;
  }

  /** The case's taskIds, for the environment scan (every task process has TASK_ID in its environment). */
  setTaskIds(ids: string[]): void {
    this.taskIds = ids;
  }

  /**
   * Runs the worker once, or (setup.host.restart) twice: the first with the case's signals and its
   * process group left as it was, so what a killed worker leaves behind is still there for the fresh one.
   * `alongsideWhenFile` (setup.host.alongside.whenFile, expanded by the plan) starts a second worker.
   */
  async runWorkers(
    spawnOnce: (signals: SignalStep[], opts: SpawnOptions) => Promise<WorkerResult>,
    signals: SignalStep[],
    alongsideWhenFile?: string,
  ): Promise<WorkerResult> {
    const onExit = () => this.lookAtHost();
    if (alongsideWhenFile) return this.runAlongside(spawnOnce, signals, alongsideWhenFile, onExit);
    if (!this.f.setup?.host?.restart) return spawnOnce(signals, { onExit });
    const first = await spawnOnce(signals, { keepGroup: true });
    const second = await spawnOnce([], { onExit });
    const note = `\n[tc-kit] first worker ended (exit ${first.exitCode}, signal ${first.signal}); a fresh worker started\n`;
    return {
      ...second,
      stdout: first.stdout + note + second.stdout,
      stderr: first.stderr + note + second.stderr,
      durationMs: first.durationMs + second.durationMs,
      timedOut: first.timedOut || second.timedOut,
      signalsNotSent: [...first.signalsNotSent, ...second.signalsNotSent],
    };
  }

  /**
   * setup.host.alongside: a second worker on the same config starts once `whenFile` exists (the first one's
   * task is running then); when it has exited the runner creates ${MARKERS}/alongside-exited, so the task can
   * check that what it holds survived the second worker's start-up.
   */
  private async runAlongside(
    spawnOnce: (signals: SignalStep[], opts: SpawnOptions) => Promise<WorkerResult>,
    signals: SignalStep[],
    whenFile: string,
    onExit: () => void,
  ): Promise<WorkerResult> {
    let second: Promise<WorkerResult> | undefined;
    let stop = false;
    const watcher = (async () => {
      while (!stop && !existsSync(whenFile)) await new Promise((r) => setTimeout(r, 100));
      if (stop) return;
      // Its own config, the same but for the loopback ports, as a second worker on a host would have.
      const ports = await freePortBlock(this.ports.length);
      try {
        const config = readFileSync(this.configFile, 'utf8');
        const byPort = new Map(this.ports.map((p, i) => [p, ports[i]]));
        const other = JSON.stringify(
          JSON.parse(config, (_k, v) => (typeof v === 'number' && byPort.has(v) ? byPort.get(v) : v)),
          null,
          2,
        );
        const otherFile = `${this.configFile}.alongside.json`;
        writeFileSync(otherFile, other, { mode: 0o644 });
        second = spawnOnce([], { config: [this.configFile, otherFile] });
        await second;
      } finally {
        releasePorts(ports);
      }
      writeFileSync(join(this.vars.MARKERS, 'alongside-exited'), '');
    })();
    const first = await spawnOnce(signals, { onExit });
    stop = true;
    await watcher;
    const other = second ? await second : undefined;
    const note = other
      ? `\n[tc-kit] a second worker ran alongside (exit ${other.exitCode}, signal ${other.signal})\n`
      : '\n[tc-kit] the second worker never started: its start condition did not occur\n';
    return {
      ...first,
      stdout: first.stdout + note + (other?.stdout ?? ''),
      stderr: first.stderr + note + (other?.stderr ?? ''),
    };
  }

  /** Host facts as of the last worker's exit (taken then, before the runner takes its process group down). */
  observed(): ObservedHost {
    if (!this.observedHost) this.lookAtHost();
    return this.observedHost!;
  }

  private lookAtHost(): void {
    let leftover = this.leftovers();
    // A process the worker killed just before it exited may take a moment to die: look again briefly.
    for (let i = 0; i < 6 && leftover.length > 0; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      leftover = leftover.filter((p) => alive(p.pid));
    }
    this.observedHost = {
      leftover,
      processScan: process.platform === 'linux' ? 'environ' : 'markers',
      escapes: this.escapes(),
      tampered: this.tampered(),
      taskDirs: safeReaddir(join(this.caseDir, 'tasks')).filter((n) => n !== 'lost+found'),
      sentinel: this.sentinel,
    };
  }

  private leftovers(): Array<{ pid: number; what: string }> {
    const found = new Map<number, string>();
    const markers = this.vars.MARKERS;
    for (const name of safeReaddir(markers)) {
      if (!name.endsWith('.pid')) continue;
      const pid = Number(safeRead(join(markers, name)).trim());
      if (Number.isInteger(pid) && pid > 1 && alive(pid)) found.set(pid, `marker ${name}`);
    }
    if (process.platform === 'linux' && this.taskIds.length > 0) {
      const wanted = this.taskIds.map((id) => `TASK_ID=${id}`);
      for (const entry of safeReaddir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const pid = Number(entry);
        if (pid === process.pid || found.has(pid)) continue;
        const env = safeRead(`/proc/${pid}/environ`).split('\0');
        const hit = wanted.find((w) => env.includes(w));
        if (hit && alive(pid)) found.set(pid, `${comm(pid)} with ${hit}`);
      }
    }
    return [...found].map(([pid, what]) => ({ pid, what }));
  }

  /** Entries named tc-kit-escape* anywhere in the case directory except inside a task directory or a cache. */
  private escapes(): string[] {
    const out: string[] = [];
    let seen = 0;
    const walk = (dir: string) => {
      for (const name of safeReaddir(dir)) {
        if (++seen > WALK_LIMIT) return;
        const full = join(dir, name);
        const parts = relative(this.caseDir, full).split(sep);
        if ((parts[0] === 'tasks' || parts[0] === 'caches') && parts.length >= 2 && !name.startsWith(ESCAPE_NAME))
          continue; // a task's own directory or a cache: the task may write there
        if (name.startsWith(ESCAPE_NAME)) out.push(relative(this.caseDir, full));
        let st: ReturnType<typeof lstatSync> | undefined;
        try {
          st = lstatSync(full);
        } catch {}
        if (st?.isDirectory() && parts[0] !== 'host') walk(full);
      }
    };
    walk(this.caseDir);
    // Absolute paths a case cannot know in advance (archive entries) point at the shared temp dir.
    for (const name of safeReaddir('/tmp'))
      if (name.startsWith(`${ESCAPE_NAME}-${this.slug}`)) out.push(`/tmp/${name}`);
    return out;
  }

  private tampered(): string[] {
    const out: string[] = [];
    for (const p of this.planted) {
      const rel = relative(this.caseDir, p.path);
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(p.path);
      } catch {
        out.push(`${rel} was removed`);
        continue;
      }
      if (st.isSymbolicLink()) out.push(`${rel} was replaced by a symlink to ${safeReadlink(p.path)}`);
      else if (p.kind === 'file' && !st.isFile()) out.push(`${rel} is no longer a regular file`);
      else if (p.kind === 'dir' && !st.isDirectory()) out.push(`${rel} is no longer a directory`);
      else {
        if (p.uid >= 0 && st.uid !== p.uid) out.push(`${rel} changed owner to uid ${st.uid}`);
        if (p.mode !== undefined && (st.mode & 0o7777) !== p.mode)
          out.push(`${rel} changed mode to ${(st.mode & 0o7777).toString(8)}`);
        if (p.content !== undefined && safeRead(p.path) !== p.content) out.push(`${rel} changed content`);
        if (p.entries && safeReaddir(p.path).sort().join('/') !== p.entries.join('/'))
          out.push(`${rel} has other entries: ${safeReaddir(p.path).join(', ')}`);
      }
    }
    return out;
  }

  /** After the case: unmount, and take down whatever of the case's tasks still runs (nothing outlives a case). */
  release(): void {
    const pids = new Set<number>((this.observedHost?.leftover ?? []).map((p) => p.pid));
    for (const p of this.leftovers()) pids.add(p.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    for (const target of this.mounts.reverse()) {
      try {
        execFileSync('umount', ['-l', target], { stdio: 'ignore', timeout: 10_000 });
      } catch {}
    }
    this.mounts.length = 0;
    for (const name of safeReaddir('/tmp'))
      if (name.startsWith(`${ESCAPE_NAME}-${this.slug}`)) rmSync(`/tmp/${name}`, { recursive: true, force: true });
  }
}

/** Running and not a zombie: a zombie has ended, only its parent has not reaped it yet. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform === 'linux') {
    const stat = safeRead(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return stat !== '' && state !== 'Z' && state !== 'X';
  }
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 });
    return state.trim() !== '' && !state.trim().startsWith('Z');
  } catch {
    return false;
  }
}

function comm(pid: number): string {
  return safeRead(`/proc/${pid}/comm`).trim() || `pid ${pid}`;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
}

function safeReadlink(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return '?';
  }
}
