// Checkers for payload.command.*: commands run in order and the first failure ends the task.
import { verdict } from '../lib/observe.ts';
import { commandsStarted, exitCodes, ran } from '../lib/runs.ts';
import type { Checker } from '../types.ts';

export const exitOnFail: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const r of ran(obs)) {
    const codes = exitCodes(r.log);
    const firstBad = codes.findIndex((x) => x !== 0);
    if (firstBad < 0) continue;
    judged++;
    if (commandsStarted(r.log) > firstBad + 1) problems.push(`${r.key}: commands ran after command ${firstBad} failed`);
    const retry: number[] = r.payload?.onExitStatus?.retry ?? [];
    if (!retry.includes(codes[firstBad]) && r.route !== 'reportFailed' && r.route !== 'reportException')
      problems.push(`${r.key}: resolved by ${r.route ?? 'nothing'} after exit code ${codes[firstBad]}`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} failing task(s) stopped at the first failing command and were not completed`);
};

export const allZeroCompletes: Checker = (obs) => {
  const rs = ran(obs).filter((r) => {
    const codes = exitCodes(r.log);
    const n = Array.isArray(r.payload?.command) ? r.payload.command.length : -1;
    return codes.length > 0 && codes.length === n && codes.every((x) => x === 0);
  });
  if (rs.length === 0) return null;
  const problems = rs
    .filter((r) => r.route === 'reportFailed')
    .map((r) => `${r.key}: every command exited 0 but the run was reported failed`);
  return verdict(problems, `${rs.length} task(s) whose commands all succeeded were not failed`);
};
