// Benchmark 7: the conformance suite against the reference worker, as `npm run conformance` runs it (default
// --jobs), timed from its report: wall time, cases per second, and where case time goes (the slowest cases
// are mostly the fixtures' own waits: idle timeouts, retry backoffs, claim expiry, signals). Baselines: the
// physical floor of one case (two spawns of /bin/true plus the case's median number of mock round trips),
// and, with GENERIC_WORKER_BIN (full runs only), the same suite against generic-worker v106 with the profile
// edits that keep it from refusing every task (enableLiveLog, enableResourceMonitor, enableMetadata; see
// workers.ts), compared on the cases both workers pass.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, BenchResult } from './common.ts';
import { median, round, tempDir } from './common.ts';
import { genericWorker, WorkerBench } from './workers.ts';

const conformanceBin = fileURLToPath(new URL('../bin/tc-conformance.js', import.meta.url));
const gwProfile = fileURLToPath(new URL('../conformance/profiles/generic-worker.json', import.meta.url));

/** A quick run: a few one-task cases (environment, artifacts), still through the real runner. */
const QUICK_ONLY = ['payload/env/', 'artifacts/content-type/'];

interface CaseRow {
  id: string;
  status: string;
  outcome: string;
  durationMs: number;
  requests: number;
}

interface SuiteRun {
  wallMs: number;
  exitCode: number | null;
  cases: CaseRow[];
}

async function runSuite(args: string[], reportDir: string, env: NodeJS.ProcessEnv): Promise<SuiteRun> {
  const child = spawn(process.execPath, [conformanceBin, ...args, '--report-dir', reportDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr = (stderr + b).slice(-4000)));
  const t0 = performance.now();
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - t0;
  let report: any;
  try {
    report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'));
  } catch {
    throw new Error(`tc-conformance ${args.join(' ')} wrote no report (exit ${code}): ${stderr.trim()}`);
  }
  const cases: CaseRow[] = report.cases
    .filter((c: any) => c.outcome !== 'skipped')
    .map((c: any) => ({
      id: c.id,
      status: c.status,
      outcome: c.outcome,
      durationMs: c.durationMs,
      requests: c.observation?.trace?.length ?? 0,
    }));
  return { wallMs: report.durationMs ?? wallMs, exitCode: code, cases };
}

function summary(r: SuiteRun) {
  const d = r.cases.map((c) => c.durationMs);
  const sum = d.reduce((a, b) => a + b, 0);
  return {
    wallMs: round(r.wallMs, 0),
    cases: r.cases.length,
    casesPerSec: round(r.cases.length / (r.wallMs / 1000), 2),
    medianCaseMs: round(median(d), 0),
    sumCaseMs: round(sum, 0),
    notPassing: r.cases.filter((c) => c.status !== 'pass' && c.status !== 'expected-fail').map((c) => c.id),
    slowest: [...r.cases]
      .sort((a, b) => b.durationMs - a.durationMs)
      .slice(0, 8)
      .map((c) => `${c.id} ${round(c.durationMs / 1000, 1)} s`),
  };
}

export async function conformanceSuite(opts: BenchOptions): Promise<BenchResult> {
  const tmp = tempDir('suite');
  try {
    const only = opts.quick ? QUICK_ONLY.flatMap((o) => ['--only', o]) : [];
    opts.log(`conformance-suite: reference worker${opts.quick ? ' (a few cases)' : ', every case'}`);
    const ref = await runSuite(['--worker', 'reference', ...only], join(tmp.dir, 'reference'), process.env);
    const tc = summary(ref);
    if (tc.notPassing.length > 0) throw new Error(`reference worker: cases not passing: ${tc.notPassing.join(', ')}`);

    const wb = await WorkerBench.start();
    let floorCaseMs: number;
    let floor: Record<string, number>;
    try {
      const { spawnTrue, rtt } = await wb.floor(opts, 'conformance-suite');
      const requests = median(ref.cases.map((c) => c.requests));
      floorCaseMs = 2 * spawnTrue + requests * rtt;
      floor = {
        spawnTrueMs: round(spawnTrue, 2),
        roundTripMs: round(rtt, 2),
        medianRequests: requests,
        medianCaseMs: round(floorCaseMs, 1),
      };
    } finally {
      await wb.close();
    }

    let gw: (ReturnType<typeof summary> & { bothPass: number; medianBothPassMs: number }) | undefined;
    let tcBothPassMs: number | undefined;
    const subject = genericWorker();
    if (typeof subject === 'string') opts.log(`generic-worker column skipped: ${subject}`);
    else if (opts.quick) opts.log('generic-worker column skipped: --quick');
    else {
      opts.log('conformance-suite: generic-worker v106, every case (its profile with the edits in workers.ts)');
      const profile = JSON.parse(readFileSync(gwProfile, 'utf8'));
      Object.assign(profile.configTemplate, { enableLiveLog: true, enableResourceMonitor: true, enableMetadata: true });
      const file = join(tmp.dir, 'generic-worker.json');
      writeFileSync(file, JSON.stringify(profile));
      const run = await runSuite(['--worker', file], join(tmp.dir, 'generic-worker'), subject.env);
      const passed = new Set(run.cases.filter((c) => c.outcome === 'pass').map((c) => c.id));
      const both = ref.cases.filter((c) => c.outcome === 'pass' && passed.has(c.id));
      const ids = new Set(both.map((c) => c.id));
      tcBothPassMs = median(both.map((c) => c.durationMs));
      gw = {
        ...summary(run),
        bothPass: both.length,
        medianBothPassMs: round(median(run.cases.filter((c) => ids.has(c.id)).map((c) => c.durationMs)), 0),
      };
    }
    const subjectFigures = {
      ...tc,
      target: 'under 60 s on 2 cores',
      ...(tcBothPassMs !== undefined ? { medianBothPassMs: round(tcBothPassMs, 0) } : {}),
    };
    const vsGw = gw && tcBothPassMs !== undefined ? round(tcBothPassMs / gw.medianBothPassMs, 3) : undefined;
    const vsFloor = round(tc.medianCaseMs / floorCaseMs, 3);
    return {
      name: 'conformance-suite',
      description: `npm run conformance (default --jobs) against the reference worker${opts.quick ? `, only ${QUICK_ONLY.join(' ')}` : ''}; per-case figures from its report`,
      metric:
        vsGw === undefined
          ? 'median case wall time, reference worker / physical floor'
          : 'median case wall time over the cases both pass, tc-worker / generic-worker',
      ratio: vsGw ?? vsFloor,
      ratios: { vsFloor, ...(vsGw === undefined ? {} : { vsGenericWorker: vsGw }) },
      baseline: { floor, ...(gw ? { genericWorker: gw } : {}) },
      subject: subjectFigures,
    };
  } finally {
    tmp.remove();
  }
}
