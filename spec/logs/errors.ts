// logs.format.first-error-logged: a run's errors end up in its log, where a reader looks first.
import { BOTH, gw, gw11 } from '../lib/sources.ts';
import { claims, lines, resolution, verdict } from '../lib/observe.ts';
import type { Checker, Statement } from '../types.ts';

/** Runs the worker resolved reportFailed after a command exited non-zero: an error line follows that result. */
export const firstErrorLogged: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const c of claims(obs)) {
    const r = resolution(obs, c.taskId, c.runId);
    const log = obs.tasks[c.taskId]?.log;
    if (r?.route !== 'reportFailed' || log === undefined) continue;
    const ls = lines(log);
    const failed = ls.findIndex((l) => /^\[taskcluster [^\]]*\]\s+Exit Code: -?[1-9]\d*$/.test(l));
    if (failed < 0) continue;
    judged++;
    if (!ls.slice(failed + 1).some((l) => l.startsWith('[taskcluster:error] ')))
      problems.push(`${c.taskId}/${c.runId}: no "[taskcluster:error] " line after the failing command's result`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} failed run(s) logged their error as a [taskcluster:error] line`);
};

export const statements: Statement[] = [
  {
    id: 'logs.format.first-error-logged',
    area: 'logs',
    level: 'MUST',
    text: 'When a run has errors (e.g. a command exits non-zero), the worker writes them to the task log as a "[taskcluster:error] " line before it closes the log.',
    source: [gw('backing_log_feature.go (*BackingLogTaskFeature).Stop'), gw11('main.go (*TaskRun).Run')],
    generations: BOTH,
    check: firstErrorLogged,
    rule: 'Reads claimed runs resolved reportFailed whose log has an "Exit Code: N" result line with N ≠ 0. Fails when no line starting "[taskcluster:error] " comes after the first such result line.',
  },
];
