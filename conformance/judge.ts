// Generic matchers for a fixture's `expect` block: every problem is one line saying what was
// expected, what was seen and where, so a report reader needs nothing else to act on it.
import { ownIds, refusalProblems } from '../spec/lib/refusal.ts';
import type {
  ArtifactExpectation,
  CaseExpect,
  FixtureCase,
  Generation,
  Observation,
  ObservedTask,
  TaskExpectation,
  TextMatch,
  TraceExpectation,
} from './types.ts';

/** The expect block for one generation: `expectByGeneration[gen]` overrides top-level keys. */
export function expectFor(fixture: FixtureCase, generation: Generation): CaseExpect {
  const base = fixture.expect ?? {};
  const over = fixture.expectByGeneration?.[generation];
  return over ? { ...base, ...over } : base;
}

const MAX_QUOTE = 120;
/** An observed value in a message: absent values say so instead of printing "undefined". */
function shown(v: unknown): string {
  if (v === undefined) return '(none)';
  if (v === null) return 'null';
  return quote(String(v));
}

function quote(text: string): string {
  const t = text.length > MAX_QUOTE ? text.slice(0, MAX_QUOTE) + '…' : text;
  return JSON.stringify(t);
}

function regex(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern, 'm');
  } catch (err) {
    throw new Error(`${where}: invalid regular expression ${quote(pattern)}: ${(err as Error).message}`);
  }
}

/** Checks text against contains / notContains / matches / notMatches. */
export function matchText(text: string | undefined, m: TextMatch | undefined, where: string): string[] {
  if (!m) return [];
  const problems: string[] = [];
  if (text === undefined) {
    const wanted = (m.contains?.length ?? 0) + (m.matches?.length ?? 0);
    return wanted > 0 ? [`${where}: expected text but there is none`] : [];
  }
  for (const s of m.contains ?? []) if (!text.includes(s)) problems.push(`${where}: does not contain ${quote(s)}`);
  for (const s of m.notContains ?? []) if (text.includes(s)) problems.push(`${where}: contains ${quote(s)}`);
  for (const p of m.matches ?? []) if (!regex(p, where).test(text)) problems.push(`${where}: does not match /${p}/`);
  for (const p of m.notMatches ?? []) if (regex(p, where).test(text)) problems.push(`${where}: matches /${p}/`);
  return problems;
}

function matchExitCode(obs: Observation, want: CaseExpect['exitCode']): string[] {
  if (want === undefined) return [];
  const allowed = Array.isArray(want) ? want : [want];
  if (allowed.includes(obs.exitCode)) return [];
  const seen = obs.exitCode === null ? `no exit code (signal ${obs.signal ?? 'none'})` : String(obs.exitCode);
  const timeout = obs.timedOut ? ' (the worker did not exit in time and was killed)' : '';
  return [`worker exit code: expected ${allowed.join(' or ')}, got ${seen}${timeout}`];
}

function matchRuns(task: ObservedTask | undefined, want: TaskExpectation['runs'], where: string): string[] {
  if (!want) return [];
  const runs: any[] = task?.status?.runs ?? [];
  const problems: string[] = [];
  if (runs.length !== want.length) {
    const seen = runs.map((r) => `${r.state}/${r.reasonResolved ?? r.reasonCreated ?? '-'}`).join(', ') || 'none';
    problems.push(`${where}: expected ${want.length} run(s), got ${runs.length} (${seen})`);
  }
  want.forEach((w, i) => {
    const r = runs[i];
    if (!r) return;
    for (const key of ['state', 'reasonResolved', 'reasonCreated'] as const) {
      if (w[key] !== undefined && r[key] !== w[key]) {
        problems.push(`${where} run ${i}: expected ${key} ${quote(w[key]!)}, got ${shown(r[key])}`);
      }
    }
  });
  return problems;
}

function lastRunId(task: ObservedTask): number {
  const runs: any[] = task.status?.runs ?? [];
  return Math.max(0, runs.length - 1);
}

function matchArtifact(task: ObservedTask | undefined, a: ArtifactExpectation, where: string): string[] {
  const runId = a.runId ?? (task ? lastRunId(task) : 0);
  const found = task?.artifacts.find((x) => x.name === a.name && x.runId === runId);
  const at = `${where} artifact ${quote(a.name)} (run ${runId})`;
  if (a.absent) return found ? [`${at}: expected absent, but it exists`] : [];
  if (!found) {
    const names = task?.artifacts.filter((x) => x.runId === runId).map((x) => x.name) ?? [];
    return [`${at}: missing (artifacts: ${names.join(', ') || 'none'})`];
  }
  const problems: string[] = [];
  if (a.storageType !== undefined && found.storageType !== a.storageType)
    problems.push(`${at}: storageType expected ${quote(a.storageType)}, got ${shown(found.storageType)}`);
  if (a.contentType !== undefined && found.contentType !== a.contentType)
    problems.push(`${at}: contentType expected ${quote(a.contentType)}, got ${shown(found.contentType)}`);
  if (a.contentEncoding !== undefined && (found.contentEncoding ?? null) !== a.contentEncoding)
    problems.push(
      `${at}: contentEncoding expected ${shown(a.contentEncoding)}, got ${shown(found.contentEncoding ?? null)}`,
    );
  if (a.reason !== undefined && found.reason !== a.reason)
    problems.push(`${at}: reason expected ${quote(a.reason)}, got ${shown(found.reason)}`);
  if (a.sha256 !== undefined && found.sha256 !== a.sha256)
    problems.push(`${at}: sha256 expected ${a.sha256}, got ${found.sha256 ?? 'no content'}`);
  const needsBody = a.contentMatches !== undefined || a.contentContains !== undefined;
  const text = found.body?.toString('utf8') ?? (found.message !== undefined ? found.message : undefined);
  if (needsBody && text === undefined) problems.push(`${at}: content expected but none was downloaded`);
  if (text !== undefined) {
    problems.push(
      ...matchText(
        text,
        {
          contains: a.contentContains !== undefined ? [a.contentContains] : undefined,
          matches: a.contentMatches !== undefined ? [a.contentMatches] : undefined,
        },
        `${at} content`,
      ),
    );
  }
  return problems;
}

function matchTrace(obs: Observation, want: TraceExpectation, aliases: Record<string, string>): string[] {
  const taskId = want.task !== undefined ? (aliases[want.task] ?? want.task) : undefined;
  const hits = obs.trace.filter(
    (e) =>
      e.route === want.route &&
      (want.status === undefined || e.status === want.status) &&
      (taskId === undefined || e.taskId === taskId),
  );
  const label = `trace ${want.route}${want.status !== undefined ? ` with status ${want.status}` : ''}${want.task ? ` for ${want.task}` : ''}`;
  const min = want.minCount ?? (want.maxCount === undefined ? 1 : 0);
  const problems: string[] = [];
  if (hits.length < min) problems.push(`${label}: expected at least ${min} call(s), got ${hits.length}`);
  if (want.maxCount !== undefined && hits.length > want.maxCount)
    problems.push(`${label}: expected at most ${want.maxCount} call(s), got ${hits.length}`);
  return problems;
}

function matchTask(task: ObservedTask | undefined, want: TaskExpectation, where: string, own: string[]): string[] {
  const problems = [...matchRuns(task, want.runs, where)];
  if (want.log) problems.push(...matchText(task?.log, want.log, `${where} log`));
  problems.push(...refusalProblems(task?.log, want.refusal, `${where} log`, own));
  for (const a of want.artifacts ?? []) problems.push(...matchArtifact(task, a, where));
  return problems;
}

/**
 * Evaluates an expect block against what a run recorded. Top-level runs/log/artifacts apply to
 * the main task (`mainTaskId`); `perTask` holds the expectations of a case's other tasks by alias.
 */
export function judge(
  obs: Observation,
  expect: CaseExpect,
  mainTaskId?: string,
  perTask: Record<string, TaskExpectation> = {},
): string[] {
  const aliases = obs.aliases ?? {};
  // First: whatever else was seen, a case whose signal never went out did not test what it is about.
  const problems = [...(obs.signalsNotSent ?? []), ...(obs.workerRunner?.stepsNotSent ?? [])].map(
    (s) => `${s}: the fault this case is about was not injected`,
  );
  problems.push(...matchExitCode(obs, expect.exitCode));
  if (expect.signal !== undefined && obs.signal !== expect.signal)
    problems.push(`worker signal: expected ${String(expect.signal)}, got ${String(obs.signal)}`);
  problems.push(...matchText(obs.stdout, expect.stdout, 'worker stdout'));
  problems.push(...matchText(obs.stderr, expect.stderr, 'worker stderr'));
  problems.push(...matchText(obs.stdout + '\n' + obs.stderr, expect.output, 'worker output'));
  const hasTaskExpect = expect.runs || expect.log || expect.artifacts || expect.refusal;
  if (hasTaskExpect) {
    if (!mainTaskId) problems.push('task expectations given, but the case created no task');
    else problems.push(...matchTask(obs.tasks[mainTaskId], expect, 'task', ownIds(obs)));
  }
  for (const [alias, want] of Object.entries(perTask)) {
    const id = aliases[alias];
    if (!id) problems.push(`task ${quote(alias)}: no task with that alias in the case`);
    else problems.push(...matchTask(obs.tasks[id], want, `task ${alias}`, ownIds(obs)));
  }
  for (const t of expect.trace ?? []) problems.push(...matchTrace(obs, t, aliases));
  return problems;
}
