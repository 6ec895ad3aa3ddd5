// Checkers for mounts.*: the pre-flight checks on mount entries.
import { body, claims, resolution, verdict } from '../lib/observe.ts';
import type { Checker, Observation } from '../types.ts';

interface MountRun {
  key: string;
  task: any;
  reason?: string;
  route?: string;
}

function mountRuns(obs: Observation): MountRun[] {
  return claims(obs)
    .map((c) => {
      const task = obs.tasks[c.taskId]?.definition ?? c.task ?? {};
      const r = resolution(obs, c.taskId, c.runId);
      return { key: `${c.taskId}/${c.runId}`, task, route: r?.route, reason: r ? body(r).reason : undefined };
    })
    .filter((m) => Array.isArray(m.task?.payload?.mounts) && m.task.payload.mounts.length > 0 && m.route);
}

export const cacheScope: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const m of mountRuns(obs)) {
    const scopes: string[] = m.task.scopes ?? [];
    const missing = (m.task.payload.mounts as any[])
      .filter((x) => x?.cacheName)
      .filter(
        (x) =>
          !scopes.some(
            (s) =>
              s === `generic-worker:cache:${x.cacheName}` ||
              (s.endsWith('*') && `generic-worker:cache:${x.cacheName}`.startsWith(s.slice(0, -1))),
          ),
      );
    if (missing.length === 0) continue;
    judged++;
    if (m.reason !== 'malformed-payload')
      problems.push(`${m.key}: cache ${missing[0].cacheName} without its scope resolved ${m.route}/${m.reason ?? ''}`);
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} task(s) mounting a cache without its scope were malformed`);
};

export const dependencyRequired: Checker = (obs) => {
  const problems: string[] = [];
  let judged = 0;
  for (const m of mountRuns(obs)) {
    const deps: string[] = m.task.dependencies ?? [];
    const foreign = (m.task.payload.mounts as any[]).filter(
      (x) => x?.content?.taskId && !deps.includes(x.content.taskId),
    );
    if (foreign.length === 0) continue;
    judged++;
    if (m.reason !== 'malformed-payload')
      problems.push(
        `${m.key}: mounts an artifact of ${foreign[0].content.taskId}, not a dependency, yet resolved ${m.route}`,
      );
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} task(s) mounting artifacts of non-dependencies were malformed`);
};
