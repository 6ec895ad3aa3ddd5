// `npm run bench [-- --quick] [-- --only NAME]`: runs the benchmarks one after another (they share two cores
// with everything else, so never in parallel), prints each one's figures and its ratio against the baseline
// measured in the same run, and writes all of it to reports/bench.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { artifactUpload } from './artifact-upload.ts';
import { backingLog } from './backing-log.ts';
import type { BenchOptions, BenchResult } from './common.ts';
import { clientCost } from './client-cost.ts';
import { conformanceSuite } from './conformance-suite.ts';
import { queueRoundtrip } from './queue-roundtrip.ts';
import { idleRss, startup, taskOverhead } from './startup.ts';

const BENCHMARKS: Record<string, (opts: BenchOptions) => Promise<BenchResult>> = {
  'artifact-upload': artifactUpload,
  'backing-log': backingLog,
  'queue-roundtrip': queueRoundtrip,
  startup,
  'task-overhead': taskOverhead,
  'idle-rss': idleRss,
  'conformance-suite': conformanceSuite,
  'client-cost': clientCost,
};

function benchName(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(n in BENCHMARKS)) {
      throw new InvalidArgumentError(`unknown benchmark '${n}' (known: ${Object.keys(BENCHMARKS).join(', ')})`);
    }
  }
  return [...previous, ...names];
}

const program = new Command('bench')
  .description('tc-worker-kit benchmarks: each figure is a ratio against a baseline measured in the same run')
  .option('--quick', 'small sizes (seconds, for tests); the figures then say little', false)
  .option(
    '--only <names>',
    `run only these (repeatable or comma-separated): ${Object.keys(BENCHMARKS).join(', ')}`,
    benchName,
  )
  .option('--out <file>', 'where the JSON report goes', 'reports/bench.json')
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) })
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
program.parse();
const opts = program.opts<{ quick: boolean; only?: string[]; out: string }>();

const names = opts.only ?? Object.keys(BENCHMARKS);
const results: BenchResult[] = [];
const errors: Array<{ name: string; error: string }> = [];
const started = Date.now();
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const loadAtStart = load();
for (const name of names) {
  process.stderr.write(`== ${name}${opts.quick ? ' (quick)' : ''}\n`);
  try {
    // The machine is shared: each figure carries the load average (1, 5, 15 min) it was measured under.
    const loadBefore = load();
    const r = await BENCHMARKS[name]({ quick: opts.quick, log: (l) => process.stderr.write(`   ${l}\n`) });
    results.push({ ...r, loadavg: { before: loadBefore, after: load() } });
    process.stdout.write(`${name}: ratio ${r.ratio} (${r.metric})\n`);
    process.stdout.write(`  baseline ${JSON.stringify(r.baseline)}\n  subject  ${JSON.stringify(r.subject)}\n`);
    for (const [k, v] of Object.entries(r)) {
      if (!['name', 'description', 'metric', 'ratio', 'baseline', 'subject'].includes(k)) {
        process.stdout.write(`  ${k} ${JSON.stringify(v)}\n`);
      }
    }
  } catch (err) {
    errors.push({ name, error: String((err as Error)?.message ?? err) });
    process.stdout.write(`${name}: FAILED ${(err as Error)?.message ?? err}\n`);
  }
}

const report = {
  generatedAt: new Date().toISOString(),
  quick: opts.quick,
  totalMs: Date.now() - started,
  machine: {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus().length,
    // Other work on the machine moves absolute figures; ratios taken in the same run move much less.
    loadavgAtStart: loadAtStart,
    loadavg: load(),
  },
  benchmarks: Object.fromEntries(results.map((r) => [r.name, r])),
  errors,
};
const out = resolve(opts.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`report: ${out}\n`);
process.exit(errors.length ? 1 : 0);
