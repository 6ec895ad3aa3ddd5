// Checkers for task.*: the end-of-task order.
import { artifactName, claims, isOk, isResolve, runCalls, verdict } from '../lib/observe.ts';
import type { Checker } from '../types.ts';

export const backingLogLast: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const c of claims(obs)) {
    const payload = obs.tasks[c.taskId]?.definition?.payload ?? c.task?.payload ?? {};
    const backing = payload?.logs?.backing ?? 'public/logs/live_backing.log';
    const cs = runCalls(obs, c.taskId, c.runId);
    const r = cs.find((e) => isResolve(e) && isOk(e));
    if (!r || r.route === 'reportException') continue;
    const made = cs.filter((e) => e.route === 'createArtifact' && isOk(e) && e.seq < r.seq);
    const idx = made.findIndex((e) => artifactName(e) === backing);
    if (idx < 0) continue;
    judged++;
    const after = made.slice(idx + 1).map(artifactName);
    if (after.length) problems.push(`${c.taskId}/${c.runId}: ${after.join(', ')} created after the backing log`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} run(s) uploaded the backing log last, right before resolving`);
};
