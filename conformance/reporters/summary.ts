// Counts shared by every reporter, so the console, JSON, JUnit and HTML views never disagree.
import type { CaseRecord, Status } from '../types.ts';

export const STATUSES: Status[] = ['pass', 'fail', 'expected-fail', 'unexpected-pass', 'skipped', 'errored'];

export type Counts = Record<Status, number>;

export function countStatuses(records: CaseRecord[]): Counts {
  const c = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Counts;
  for (const r of records) c[r.status]++;
  return c;
}

/** The plain closing line CI reads: cases that met their baseline passed, the rest failed. */
export function closingLine(c: Counts): string {
  const passed = c.pass + c['expected-fail'];
  const failed = c.fail + c['unexpected-pass'] + c.errored;
  return `${passed} passed, ${failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;
}

export interface StatementSummary {
  id: string;
  area: string;
  level?: string;
  text?: string;
  source?: string[];
  cases: string[];
  /**
   * pass: every check that applied passed; fail: one failed in a case the baseline does not expect to
   * fail; expected-fail: it failed only in cases the baseline expects to fail; untested: none applied.
   */
  verdict: 'pass' | 'fail' | 'expected-fail' | 'untested';
  passed: number;
  failed: number;
  /** Failures in cases whose baseline entry expects them to fail (status expected-fail). */
  expectedFailed: number;
}

export function summariseStatements(
  records: CaseRecord[],
  statements: Map<string, { id: string; area?: string; level?: string; text?: string; source?: string[] }>,
): StatementSummary[] {
  const out = new Map<string, StatementSummary>();
  const entry = (id: string): StatementSummary => {
    let s = out.get(id);
    if (!s) {
      const st = statements.get(id);
      s = {
        id,
        area: st?.area ?? id.split('.')[0],
        level: st?.level,
        text: st?.text,
        source: st?.source,
        cases: [],
        verdict: 'untested',
        passed: 0,
        failed: 0,
        expectedFailed: 0,
      };
      out.set(id, s);
    }
    return s;
  };
  // Every statement of the spec appears, so statements no case exercised show as untested.
  for (const id of statements.keys()) entry(id);
  for (const r of records) {
    for (const id of r.statements) entry(id).cases.push(r.id);
    if (r.outcome === 'skipped' || r.outcome === 'errored') continue;
    for (const id of r.statements) {
      const check = r.checks.find((c) => c.statement === id);
      const s = entry(id);
      // A statement fails in a case when its checker fails or when the case's expect block failed.
      if (check?.ok === false || r.expectFailures.length > 0) {
        if (r.status === 'expected-fail') s.expectedFailed++;
        else s.failed++;
      } else if (check?.ok === true || check?.ok === null) s.passed++;
    }
  }
  for (const s of out.values())
    s.verdict = s.failed > 0 ? 'fail' : s.expectedFailed > 0 ? 'expected-fail' : s.passed > 0 ? 'pass' : 'untested';
  return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
}
