// Expectation baselines (undici's WPT expectation.json, per worker profile): the cases a worker is
// known to fail and why, so CI fails only when a verdict changes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CaseRecord, Status } from './types.ts';

export type Expected = 'pass' | { fail: string; issue?: string };
export type Expectations = Record<string, Expected>;

/** Reads a baseline file; a missing file means "every case passes". Throws with the file name on bad content. */
export function loadExpectations(file: string): Expectations {
  if (!existsSync(file)) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`expectations ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(`expectations ${file}: expected an object of case id → "pass" | {"fail": reason}`);
  }
  for (const [id, v] of Object.entries(data)) {
    const ok =
      v === 'pass' || (typeof v === 'object' && v !== null && typeof (v as { fail?: unknown }).fail === 'string');
    if (!ok) throw new Error(`expectations ${file}: case ${JSON.stringify(id)}: expected "pass" or {"fail": "reason"}`);
  }
  return data as Expectations;
}

/** Combines a case's own outcome with what the baseline expects. */
export function statusFor(outcome: CaseRecord['outcome'], expected: Expected | undefined): Status {
  if (outcome === 'skipped') return 'skipped';
  const expectFail = expected !== undefined && expected !== 'pass';
  if (outcome === 'pass') return expectFail ? 'unexpected-pass' : 'pass';
  if (expectFail) return 'expected-fail';
  return outcome === 'errored' ? 'errored' : 'fail';
}

/** Statuses that make the run fail (CI exit 1). */
export function isBad(status: Status): boolean {
  return status === 'fail' || status === 'unexpected-pass' || status === 'errored';
}

/**
 * The baseline after a run: cases that ran now record their verdict (keeping an existing reason
 * while they still fail); cases that did not run keep their entry. Passing cases are dropped,
 * since absent means "pass".
 */
export function updatedExpectations(old: Expectations, records: CaseRecord[]): Expectations {
  const next: Expectations = { ...old };
  for (const r of records) {
    if (r.outcome === 'skipped') continue;
    if (r.outcome === 'pass') {
      delete next[r.id];
      continue;
    }
    const prev = old[r.id];
    const reason =
      prev && prev !== 'pass' ? prev.fail : (r.reason ?? r.expectFailures[0] ?? failedCheck(r) ?? r.outcome);
    next[r.id] = prev && prev !== 'pass' ? { ...prev, fail: reason } : { fail: reason };
  }
  return Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.localeCompare(b)));
}

function failedCheck(r: CaseRecord): string | undefined {
  const c = r.checks.find((x) => x.ok === false);
  return c ? `${c.statement}: ${c.message}` : undefined;
}

export function writeExpectations(file: string, e: Expectations): void {
  writeFileSync(file, JSON.stringify(e, null, 2) + '\n');
}
