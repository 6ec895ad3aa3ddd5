// Checkers for payload.schema.*: a malformed payload is explained and stops the task before any command.
import { lines, verdict } from '../lib/observe.ts';
import { commandsStarted, ran } from '../lib/runs.ts';
import type { Checker } from '../types.ts';

export const validatedFirst: Checker = (obs) => {
  const rs = ran(obs).filter((r) => r.reason === 'malformed-payload' && r.log !== undefined);
  if (rs.length === 0) return null;
  const problems = rs
    .filter((r) => commandsStarted(r.log) > 0)
    .map((r) => `${r.key}: commands ran although the payload was malformed`);
  return verdict(problems, `${rs.length} malformed payload(s) stopped before any command ran`);
};

export const errorsLogged: Checker = (obs) => {
  const rs = ran(obs).filter((r) => r.reason === 'malformed-payload' && r.log !== undefined);
  if (rs.length === 0) return null;
  const problems = rs
    .filter((r) => !lines(r.log).some((l) => l.startsWith('[taskcluster:error]')))
    .map((r) => `${r.key}: no [taskcluster:error] line explains the malformed payload`);
  return verdict(problems, `${rs.length} malformed payload(s) explained with error lines`);
};
