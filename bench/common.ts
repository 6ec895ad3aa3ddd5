// Shared helpers of the benchmarks: result shapes, temp files, memory sampling, child processes, task set-up.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import taskcluster from 'taskcluster-client';

export const MiB = 1024 * 1024;

export interface BenchOptions {
  quick: boolean;
  /** Progress lines go here (stderr), figures go to the report. */
  log(line: string): void;
}

export interface BenchResult {
  name: string;
  description: string;
  /** subject / baseline of `metric`; above 1 means the subject is that many times the baseline. */
  ratio: number;
  metric: string;
  baseline: Record<string, unknown>;
  subject: Record<string, unknown>;
  [extra: string]: unknown;
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tc-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write `bytes` of incompressible data by repeating one random MiB, streamed so the generator stays small. */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const block = randomBytes(MiB);
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; left -= block.length) {
    if (!out.write(left >= block.length ? block : block.subarray(0, left))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Peak of process.memoryUsage.rss() sampled every `everyMs`, for measuring this process's growth. */
export function rssSampler(everyMs = 5): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** VmRSS (resident now) or VmHWM (peak resident) of a live process from /proc, in bytes; null where /proc is absent. */
export function procStatus(pid: number, key: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Highest VmHWM seen while it ran (Linux), else null. */
  peakRss: number | null;
}

/** Run a process to its end, sampling its peak RSS; killed after `timeoutMs` so a hang cannot stall the run. */
export async function runChild(
  command: string,
  args: string[],
  opts: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<ChildResult> {
  const started = performance.now();
  const child: ChildProcess = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.on('data', (b) => {
    // Keep only the tail: a chatty worker must not grow the benchmark's own memory.
    stderr = (stderr + b).slice(-20_000);
  });
  let peakRss: number | null = null;
  const sample = () => {
    const v = child.pid ? procStatus(child.pid, 'VmHWM') : null;
    if (v !== null) peakRss = Math.max(peakRss ?? 0, v);
  };
  const sampler = setInterval(sample, 20);
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  clearTimeout(killer);
  return { code, signal, stdout, stderr, wallMs, peakRss };
}

export const PROVISIONER = 'tc-bench';

/** A task for `workerType` created on the mock with its admin client. */
export async function createTask(queue: Record<string, any>, workerType: string, payload: unknown): Promise<string> {
  const taskId = taskcluster.slugid();
  const now = Date.now();
  await queue.createTask(taskId, {
    provisionerId: PROVISIONER,
    workerType,
    created: new Date(now).toISOString(),
    deadline: new Date(now + 3_600_000).toISOString(),
    expires: new Date(now + 86_400_000).toISOString(),
    retries: 0,
    payload,
    metadata: {
      name: 'bench',
      description: 'tc-worker-kit benchmark',
      owner: 'bench@example.com',
      source: 'https://example.com/bench',
    },
  });
  return taskId;
}

export function mib(bytes: number | null): number | null {
  return bytes === null ? null : round(bytes / MiB, 1);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
