// `npm run bench` end to end at --quick sizes: the report has its fields and positive ratios. Speeds are
// never asserted here (benchmarks are not tests); only that every figure was measured.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const runTs = fileURLToPath(new URL('./run.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tc-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(...args: string[]) {
  return spawnSync(process.execPath, [runTs, ...args], { encoding: 'utf8', timeout: 90_000 });
}

/** Without GENERIC_WORKER_BIN: the generic-worker column is skipped with one line. */
function benchWithoutGw(...args: string[]) {
  const env = { ...process.env };
  delete env.GENERIC_WORKER_BIN;
  return spawnSync(process.execPath, [runTs, ...args], { encoding: 'utf8', timeout: 120_000, env });
}

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;

describe('npm run bench', () => {
  it('queue-roundtrip: report with calls per second on both sides and their ratio', () => {
    const out = join(dir, 'rt.json');
    const r = bench('--quick', '--only', 'queue-roundtrip', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.quick).toBe(true);
    expect(report.errors).toEqual([]);
    expect(Object.keys(report.benchmarks)).toEqual(['queue-roundtrip']);
    const b = report.benchmarks['queue-roundtrip'];
    expect(b.metric).toMatch(/mock \/ echo/);
    expect(positive(b.ratio)).toBe(true);
    expect(positive(b.baseline.callsPerSec) && positive(b.subject.callsPerSec)).toBe(true);
    expect(b.subject.calls).toBe(80);
    expect(r.stdout).toContain('queue-roundtrip: ratio');
  });

  it('artifact-upload: throughput and RSS growth of both uploads for each size', () => {
    const out = join(dir, 'up.json');
    const r = bench('--quick', '--only', 'artifact-upload', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const b = JSON.parse(readFileSync(out, 'utf8')).benchmarks['artifact-upload'];
    expect(positive(b.ratio)).toBe(true);
    for (const side of [b.baseline, b.subject]) {
      expect(side.runs.map((m: any) => m.sizeMiB)).toEqual([8, 32]);
      for (const m of side.runs) {
        expect(positive(m.mibPerSec)).toBe(true);
        expect(typeof m.rssGrowthMiB).toBe('number');
      }
    }
    expect(b.rssGrowthScaling.sizeRatio).toBe(4);
  });

  it('startup, task-overhead, idle-rss, conformance-suite: figures against the floor, generic-worker skipped', () => {
    const out = join(dir, 'workers.json');
    const only = [
      'startup',
      'task-overhead',
      'conformance-suite',
      ...(process.platform === 'linux' ? ['idle-rss'] : []),
    ];
    const r = benchWithoutGw('--quick', '--only', only.join(','), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('generic-worker column skipped: GENERIC_WORKER_BIN is not set');
    const b = JSON.parse(readFileSync(out, 'utf8')).benchmarks;
    expect(Object.keys(b).sort()).toEqual([...only].sort());
    for (const name of only) {
      expect(b[name].metric).toMatch(/physical floor/);
      // task-overhead is a difference of two wall times, (T(4) − T(1)) / 3 at --quick: on a loaded machine it
      // can come out below zero, so the test only checks it was taken (the figures are the benchmark's job).
      if (name === 'task-overhead') expect(Number.isFinite(b[name].ratio)).toBe(true);
      else expect(positive(b[name].ratio)).toBe(true);
      expect(b[name].ratios.vsGenericWorker).toBeUndefined();
    }
    const s = b.startup.subject;
    expect(positive(s.versionMs) && positive(s.firstClaimMs) && positive(s.oneTaskMs)).toBe(true);
    expect(s.firstClaimMs).toBeLessThan(s.oneTaskMs);
    expect(b['task-overhead'].subject.tasks).toBe(3);
    expect(positive(b['task-overhead'].baseline.floor.perTaskMs)).toBe(true);
    expect(b['conformance-suite'].subject.notPassing).toEqual([]);
    expect(b['conformance-suite'].subject.cases).toBeGreaterThan(5);
    if (b['idle-rss']) expect(positive(b['idle-rss'].subject.rssMiB)).toBe(true);
  });

  it.runIf(process.platform === 'linux')('client-cost: each client candidate measured, the chosen one named', () => {
    const out = join(dir, 'cc.json');
    const r = bench('--quick', '--only', 'client-cost', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const b = JSON.parse(readFileSync(out, 'utf8')).benchmarks['client-cost'];
    expect(positive(b.ratio)).toBe(true);
    expect(Object.keys(b.candidates)).toContain('taskcluster-client Queue');
    for (const f of Object.values(b.candidates) as Array<{ answerMs: number; rssMiB: number }>) {
      expect(positive(f.answerMs) && positive(f.rssMiB)).toBe(true);
    }
    expect(b.subject).toEqual(b.candidates['reference/queue.ts']);
  });

  it('an unknown benchmark name is a usage error naming the known ones', () => {
    const r = bench('--only', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown benchmark 'nope'");
    expect(r.stderr).toContain('queue-roundtrip');
  });
});
