// Checkers for payload.max-run-time.*: a task over its maxRunTime is failed.
import { verdict } from '../lib/observe.ts';
import { ran } from '../lib/runs.ts';
import type { Checker } from '../types.ts';

export const maxRunTimeFails: Checker = (obs) => {
  const rs = ran(obs).filter((r) => /max run time exceeded/i.test(r.log ?? ''));
  if (rs.length === 0) return null;
  const problems = rs
    .filter((r) => r.route !== 'reportFailed')
    .map((r) => `${r.key}: maxRunTime exceeded but resolved by ${r.route}`);
  return verdict(problems, `${rs.length} task(s) over maxRunTime reported failed`);
};
