// Benchmark 2: a task that prints a lot (yes | head -c N) run by the real tc-worker process (and generic-worker
// when GENERIC_WORKER_BIN names one) against the mock
// Queue (numberOfTasksToRun 1): the output goes to the backing log on disk, which is gzipped and uploaded as
// public/logs/live_backing.log. Baseline: the same command redirected straight to a file. The worker's peak
// RSS with a large log is set against its peak with a tiny one, to show the log is never held in memory.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import taskcluster from 'taskcluster-client';
import { request } from 'undici';
import { startMockServices } from '../mocks/index.ts';
import {
  type BenchOptions,
  type BenchResult,
  MiB,
  mib,
  PROVISIONER,
  createTask,
  round,
  runChild,
  tempDir,
} from './common.ts';
import { type Subject, subjects, tcWorker } from './workers.ts';

const LINE = 'tc-worker-kit backing log benchmark: the quick brown fox jumps over the lazy dog 0123456789';

const command = (bytes: number) => `yes '${LINE}' | head -c ${bytes}`;

/**
 * Every timed run starts with no dirty pages: each run writes a GiB, and a run that starts while the last
 * one's pages are still being written back is throttled by the kernel (measured 2026-12-03 on this machine:
 * the same tc-worker run took 3.6 s after a `sync` and 6.8 s after two redirects, the redirect itself 0.76
 * against 1.48 s), so the order of the runs, not the worker, decided the ratio.
 */
function flushDirtyPages(): void {
  const r = spawnSync('sync', [], { stdio: 'ignore', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`sync exited ${r.status ?? r.signal}: the runs would not start alike`);
}

/**
 * Decoded length of a gzip-encoded artifact. The body is saved to `scratch` at the speed the store sends it,
 * then decoded from there: read while decoding 1 GiB, the client paused for seconds, and the mock's loopback
 * server (keepAliveTimeout 1 s once it has written the response) closed the socket before the last bytes.
 */
async function decodedLength(url: string, scratch: string): Promise<number> {
  const res = await request(url);
  if (res.statusCode !== 200) throw new Error(`GET log answered HTTP ${res.statusCode}`);
  await pipeline(res.body, createWriteStream(scratch));
  let n = 0;
  const count = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb();
    },
  });
  try {
    if (res.headers['content-encoding'] === 'gzip') await pipeline(createReadStream(scratch), createGunzip(), count);
    else await pipeline(createReadStream(scratch), count);
  } finally {
    rmSync(scratch, { force: true });
  }
  return n;
}

interface WorkerRun {
  outputMiB: number;
  wallMs: number;
  /** run started → resolved on the Queue: the task itself, without worker start-up and claiming. */
  taskMs: number;
  /** The store PUT of the gzipped log, as the mock timed it. */
  logPutMs: number | null;
  peakRssMiB: number | null;
  logBytes: number;
}

export async function backingLog(opts: BenchOptions): Promise<BenchResult> {
  // The task and the baseline are shell pipelines; the reference worker's Windows path is not benchmarked.
  if (process.platform === 'win32') throw new Error('backing-log needs /bin/sh (not on Windows)');
  const bytes = (opts.quick ? 16 : 1024) * MiB;
  const tmp = tempDir('log');
  const mock = await startMockServices({ claimTimeoutSeconds: 1200, longPollMs: 200 });
  try {
    const admin = new taskcluster.Queue({ rootUrl: mock.rootUrl, credentials: mock.admin, retries: 0 });
    let n = 0;
    const runWorker = async (s: Subject, outBytes: number): Promise<WorkerRun> => {
      const workerType = `log-${process.pid}-${++n}`;
      const dir = join(tmp.dir, `${s.name}-${n}`);
      mkdirSync(dir, { recursive: true });
      const taskId = await createTask(admin, workerType, {
        command: [['/bin/sh', '-c', command(outBytes)]],
        maxRunTime: 600,
      });
      const config = join(tmp.dir, `worker-${n}.config`);
      writeFileSync(
        config,
        JSON.stringify({
          accessToken: mock.admin.accessToken,
          clientId: mock.admin.clientId,
          rootURL: mock.rootUrl,
          provisionerId: PROVISIONER,
          workerType,
          workerGroup: 'bench',
          workerId: `log-${n}`,
          tasksDir: join(dir, 'tasks'),
          cachesDir: join(dir, 'caches'),
          downloadsDir: join(dir, 'downloads'),
          numberOfTasksToRun: 1,
          idleTimeoutSecs: 60,
          ...(await s.extraConfig(dir)),
        }),
      );
      flushDirtyPages();
      const r = await runChild(s.command, s.args(config), { cwd: dir, timeoutMs: 150_000, env: s.env });
      if (r.code !== 0) throw new Error(`${s.name} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-2000)}`);
      const { status } = await admin.status(taskId);
      const run = status.runs.at(-1);
      if (run?.state !== 'completed')
        throw new Error(
          `${s.name}: bench task ended ${run?.state}/${run?.reasonResolved}: ${r.stderr.trim().slice(-1500)}`,
        );
      const art = await admin.artifact(taskId, String(run.runId), 'public/logs/live_backing.log');
      const logBytes = await decodedLength(art.url, join(tmp.dir, `log-${n}.gz`));
      // The log holds every byte the command printed plus the worker's own header and footer lines.
      if (logBytes < outBytes) throw new Error(`backing log has ${logBytes} bytes, the command printed ${outBytes}`);
      const put = mock.trace.entries().find((e) => e.route === 'storePut' && e.taskId === taskId && e.status === 200);
      return {
        outputMiB: round(outBytes / MiB, 3),
        logPutMs: put ? round(put.durationMs, 1) : null,
        wallMs: round(r.wallMs, 1),
        taskMs: Date.parse(run.resolved) - Date.parse(run.started),
        peakRssMiB: mib(r.peakRss),
        logBytes,
      };
    };

    const out = join(tmp.dir, 'baseline.log');
    // `relay`: the same command piped through one more process (cat) to the file, which is what any worker
    // that reads the output and writes the log itself adds to the redirect (generic-worker too): the floor
    // for a relaying worker.
    const baselineRun = async (relay: boolean) => {
      opts.log(`backing-log: baseline, ${bytes / MiB} MiB to a file${relay ? ' through cat' : ''}`);
      rmSync(out, { force: true });
      flushDirtyPages();
      const r = await runChild('/bin/sh', ['-c', `${command(bytes)}${relay ? ' | cat' : ''} > '${out}'`], {
        timeoutMs: 60_000,
      });
      if (r.code !== 0) throw new Error(`baseline command exited ${r.code}: ${r.stderr}`);
      return r.wallMs;
    };
    // The baselines run before and after the worker and the faster counts, as load from other work varies.
    const before = await baselineRun(false);
    const relayBefore = await baselineRun(true);
    opts.log('backing-log: tc-worker, tiny task (memory reference)');
    const small = await runWorker(tcWorker, 1024);
    opts.log(`backing-log: tc-worker, ${bytes / MiB} MiB task`);
    const large = await runWorker(tcWorker, bytes);
    // generic-worker v106 with the same task, when GENERIC_WORKER_BIN names one (workers.ts says why it is absent).
    const gw = subjects(opts.log).find((x) => x.name !== tcWorker.name);
    let gwLarge: WorkerRun | undefined;
    if (gw) {
      opts.log(`backing-log: ${gw.name}, ${bytes / MiB} MiB task`);
      gwLarge = await runWorker(gw, bytes);
    }
    const b = { wallMs: Math.min(before, await baselineRun(false)) };
    const relayMs = Math.min(relayBefore, await baselineRun(true));
    const growth = large.peakRssMiB !== null && small.peakRssMiB !== null ? large.peakRssMiB - small.peakRssMiB : null;
    return {
      name: 'backing-log',
      description:
        'tc-worker run (1 task, output to public/logs/live_backing.log, gzip upload to the mock) vs the same command redirected to a file',
      metric: 'wall time, tc-worker process / shell redirect',
      ratio: round(large.wallMs / b.wallMs, 3),
      taskRatio: round(large.taskMs / b.wallMs, 3),
      ratios: {
        vsRedirect: round(large.wallMs / b.wallMs, 3),
        vsRelay: round(large.wallMs / relayMs, 3),
        ...(gwLarge ? { vsGenericWorker: round(large.wallMs / gwLarge.wallMs, 3) } : {}),
      },
      baseline: {
        outputMiB: bytes / MiB,
        wallMs: round(b.wallMs, 1),
        mibPerSec: round(bytes / MiB / (b.wallMs / 1000), 1),
        relayWallMs: round(relayMs, 1),
        relayRatio: round(relayMs / b.wallMs, 3),
        ...(gwLarge
          ? {
              genericWorker: {
                ...gwLarge,
                ratioVsRedirect: round(gwLarge.wallMs / b.wallMs, 3),
                mibPerSec: round(bytes / MiB / (gwLarge.wallMs / 1000), 1),
              },
            }
          : {}),
      },
      subject: {
        large,
        tinyTask: small,
        peakRssGrowthMiB: growth === null ? null : round(growth, 1),
        mibPerSec: round(bytes / MiB / (large.wallMs / 1000), 1),
      },
    };
  } finally {
    await mock.close();
    tmp.remove();
  }
}
