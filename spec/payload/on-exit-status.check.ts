// Checkers for payload.on-exit-status.*: listed exit codes become intermittent-task.
import { verdict } from '../lib/observe.ts';
import { exitCodes, ran } from '../lib/runs.ts';
import type { Checker } from '../types.ts';

export const retryIntermittent: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const r of ran(obs)) {
    const retry: number[] = r.payload?.onExitStatus?.retry ?? [];
    const codes = exitCodes(r.log);
    if (retry.length === 0 || codes.length === 0) continue;
    const last = codes[codes.length - 1];
    if (last === 0) continue;
    judged++;
    const want = retry.includes(last) ? 'intermittent-task' : undefined;
    if (want && r.reason !== want)
      problems.push(`${r.key}: exit ${last} is listed but resolved ${r.route}/${r.reason ?? ''}`);
    if (!want && r.reason === 'intermittent-task')
      problems.push(`${r.key}: exit ${last} is not listed but resolved intermittent-task`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} failing task(s) with onExitStatus.retry resolved by the list`);
};
