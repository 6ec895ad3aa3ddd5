// The tc-conformance command (`npm run conformance`, entry conformance/cli.ts): runs the kit's fixture cases against a worker on the
// embedded mock Queue and writes the reports. Exit 0 when every case passes or matches its
// baseline, 1 otherwise, 2 on bad usage (one line saying what is wrong).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_FIXTURES, loadCases, matchesOnly, platformName, skipReason } from './cases.ts';
import { isBad, loadExpectations, updatedExpectations, writeExpectations } from './expectations.ts';
import { BUILT_IN_PROFILES, commandFor, KIT_DIR, loadProfile, UsageError } from './profiles.ts';
import { consoleReporter } from './reporters/console.ts';
import { kitInfo, writeReports } from './reporters/index.ts';
import { summariseStatements } from './reporters/summary.ts';
import { PLAN_STAND_INS, showPlan } from './plan-view.ts';
import { loadStatements, run } from './runner.ts';
import type { LoadedCase, Profile } from './types.ts';

interface Options {
  worker: string;
  fixtures: string[];
  defaultFixtures: boolean;
  only: string[];
  jobs: number;
  reportDir: string;
  expectations?: string;
  updateExpectations?: boolean;
  list?: boolean;
  plan?: boolean;
  keep?: boolean;
  verbose?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];
function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

export function program(): Command {
  return (
    new Command('tc-conformance')
      .description('Run the Taskcluster worker conformance cases against a worker and report, statement by statement')
      .addOption(
        new Option(
          '--worker <profile>',
          `worker profile: ${BUILT_IN_PROFILES.join(', ')}, or a path to a JSON profile`,
        ).default('reference'),
      )
      .option('--fixtures <dir>', 'add the cases in DIR (repeatable)', collect, [])
      .option('--no-default-fixtures', "run only the --fixtures directories, not the kit's own fixtures/")
      .option(
        '--only <pattern>',
        'run cases whose id contains PATTERN (or matches it, with * globs); repeatable',
        collect,
        [],
      )
      // Most of a case's wall time is the worker waiting (idle timeouts, retries, claim expiry, signals), so many
      // cases per core keep the cores busy; measured on 2 cores with 362 cases (341 run as root), 2026-12-03:
      // 131 s at 4 jobs, 86 s at 8, 67 s at 12, 66 s at 16 with one set of lanes; 44–45 s at 12 once the cases
      // that declare timeoutSecs got lanes of their own (runner.ts startOrder), with both cores busy throughout.
      .option(
        '--jobs <n>',
        'cases run in parallel, each on its own task queue; with n > 1, cases that mostly wait (timeoutSecs) run on up to n more lanes beside them (default: six per core, at most 16)',
        positiveInt,
        Math.min(16, 6 * availableParallelism()),
      )
      .option('--report-dir <dir>', 'where report.json, junit.xml and index.html go', 'reports/conformance')
      .option('--expectations <file>', 'baseline of known failures (default conformance/expectations/<profile>.json)')
      .option('--update-expectations', 'rewrite the baseline from this run instead of judging against it')
      .option('--list', 'list the selected cases and whether each applies, without running anything')
      .option('--plan', "with --list: print each applicable case's resolved plan (config, tasks, faults, command, env)")
      .option('--keep', 'keep the per-case worker directories (printed) for debugging')
      .option('--verbose', 'also print the checks that passed or did not apply, under each case')
      .exitOverride()
      .configureOutput({ writeErr: () => {} })
      .allowExcessArguments(false)
  );
}

/** Said under --help: what each exit status means. */
export const EXIT_STATUS_HELP = [
  '',
  'Exit status:',
  '  0  every case that ran passed or failed as its baseline expects',
  '  1  a case failed, errored or passed unexpectedly; or no case could run here (the reason is printed)',
  '  2  bad usage: an unknown option, or a profile, fixture dir or baseline that cannot be used (one line names it)',
].join('\n');

export async function main(argv: string[]): Promise<number> {
  const cmd = program().addHelpText('after', EXIT_STATUS_HELP);
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the help (or version) itself by now.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      console.error(`tc-conformance: ${err.message.replace(/^error: /, '')}`);
      return 2;
    }
    throw err;
  }
  const o = cmd.opts<Options>();
  try {
    return await execute(o);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`tc-conformance: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

const indent = (text: string) => text.replace(/^/gm, '      ');

/** Why no selected case can run with this profile on this machine, or undefined when one can. */
export function nothingRuns(profile: Profile, cases: LoadedCase[]): string | undefined {
  const here = platformName();
  if (profile.platforms && !profile.platforms.includes(here))
    return `worker ${profile.name} runs on ${profile.platforms.join(', ')} (its profile's "platforms"), not on ${here}`;
  if (cases.some((c) => c.invalid || !skipReason(c.fixture, profile))) return undefined;
  const reasons = new Map<string, number>();
  for (const c of cases) {
    const why = skipReason(c.fixture, profile)!;
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  const top = [...reasons].sort((a, b) => b[1] - a[1]);
  const list = top.slice(0, 3).map(([why, n]) => `${n} × ${why}`);
  if (top.length > 3) list.push(`${top.length - 3} other reasons (--list shows each case)`);
  return `all ${cases.length} selected cases are skipped for worker ${profile.name} on ${here}: ${list.join('; ')}`;
}

async function execute(o: Options): Promise<number> {
  const profile = loadProfile(o.worker);
  const dirs = [...(o.defaultFixtures ? [DEFAULT_FIXTURES] : []), ...o.fixtures];
  if (dirs.length === 0) throw new UsageError('no fixtures: --no-default-fixtures needs at least one --fixtures DIR');
  const all = loadCases(dirs);
  const cases = all.filter((c) => matchesOnly(c.fixture.id, o.only));
  if (cases.length === 0) {
    throw new UsageError(
      all.length === 0
        ? `no cases found in ${dirs.join(', ')}`
        : `--only ${o.only.join(', ')}: matches none of ${all.length} cases`,
    );
  }
  const expectationsFile = resolve(
    o.expectations ?? join(KIT_DIR, 'conformance', 'expectations', `${profile.name}.json`),
  );
  if (o.expectations && !existsSync(expectationsFile) && !o.updateExpectations)
    throw new UsageError(`--expectations ${o.expectations}: no such file`);
  let expectations: ReturnType<typeof loadExpectations>;
  try {
    expectations = loadExpectations(expectationsFile);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  if (o.plan && !o.list) throw new UsageError('--plan needs --list (it prints the plans instead of running them)');
  if (o.list) {
    if (o.plan) process.stdout.write(`${PLAN_STAND_INS}\n`);
    for (const c of cases) {
      const why = c.invalid ? `invalid: ${c.invalid}` : skipReason(c.fixture, profile);
      const exp = expectations[c.fixture.id];
      const tag = exp && exp !== 'pass' ? ' [expected to fail]' : '';
      const label = c.invalid ? 'bad ' : why ? 'skip' : 'run ';
      process.stdout.write(`${label}  ${c.fixture.id}${tag}${why ? `  (${why})` : ''}\n`);
      if (o.plan && !why) process.stdout.write(`${indent(showPlan(profile, c))}\n`);
    }
    process.stdout.write(`${cases.length} cases selected for worker ${profile.name} on ${platformName()}\n`);
    return 0;
  }

  // A run that judges nothing must not pass: say why nothing can run, and fail.
  const nothing = nothingRuns(profile, cases);
  if (nothing) {
    console.error(`tc-conformance: no case ran: ${nothing}`);
    return 1;
  }

  // A worker that is not installed is a usage problem, not 150 errored cases.
  commandFor(profile, { NODE: process.execPath, KIT: KIT_DIR, CONFIG: 'worker-config.json' });
  const statements = loadStatements();
  const reporter = consoleReporter(process.stdout, { verbose: o.verbose });
  process.stdout.write(
    `tc-conformance: ${cases.length} cases against worker ${profile.name} (${profile.generation}) on ${platformName()}, ${o.jobs} at a time\n`,
  );
  // Ctrl-C or a CI timeout: take the workers (each in its own process group) down too, then stop.
  const interrupted = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      interrupted.abort();
      process.stderr.write(`tc-conformance: ${sig}: workers stopped, run abandoned\n`);
      process.exit(130);
    });
  }
  const result = await run({
    signal: interrupted.signal,
    profile,
    cases,
    jobs: o.jobs,
    expectations,
    statements,
    keepDirs: o.keep,
    onCase: (rec, done, total) => reporter.onCase(rec, done, total),
  });
  const reportDir = resolve(o.reportDir);
  const header = {
    kit: kitInfo(),
    profile: { name: profile.name, generation: profile.generation, source: profile.source },
    platform: platformName(),
    startedAt: result.startedAt,
    durationMs: result.durationMs,
  };
  writeReports(reportDir, {
    header,
    records: result.records,
    statements: summariseStatements(result.records, statements),
  });
  if (o.keep) process.stdout.write(`worker dirs kept: ${join(result.runDir, 'cases')}\n`);
  reporter.finish(result.records, result.durationMs, reportDir);
  if (o.updateExpectations) {
    writeExpectations(expectationsFile, updatedExpectations(expectations, result.records));
    process.stdout.write(`baseline written: ${expectationsFile}\n`);
    return 0;
  }
  return result.records.some((r) => isBad(r.status)) ? 1 : 0;
}
