// Checkers for features.supersede.*: the 11.0.1 superseder call and its consequence.
import { verdict } from '../lib/observe.ts';
import type { Checker } from '../types.ts';

export const urlVerbatim: Checker = (obs, c) => {
  const url: string | undefined = c.task?.payload?.supersederUrl;
  const calls = obs.trace.filter((e) => e.service === 'superseder');
  if (!url || calls.length === 0) return null;
  const want = new URL(url);
  const problems = calls
    .filter((e) => e.path !== `${want.pathname}${want.search}` && e.path !== want.pathname)
    .map((e) => `#${e.seq} superseder called at ${e.path}, payload says ${want.pathname}${want.search}`);
  for (const e of calls)
    if (/[?&]taskId=/.test(e.path) && !want.search.includes('taskId=')) problems.push(`#${e.seq} appended ?taskId=`);
  return verdict(problems, 'supersederUrl was used verbatim');
};

export const resolvesSuperseded: Checker = (obs) => {
  const calls = obs.trace.filter((e) => e.service === 'superseder' && e.status === 200);
  const problems: string[] = [];
  let judged = 0;
  for (const [id, t] of Object.entries(obs.tasks)) {
    const call = calls.find((e) => e.taskId === id || e.path.includes(id));
    const list: string[] = (call?.response.body as any)?.supersedes ?? [];
    if (!call || list.length === 0 || list[0] === id) continue;
    judged++;
    const runs: any[] = t.status?.runs ?? [];
    const last = runs[runs.length - 1];
    if (last?.state !== 'exception' || last?.reasonResolved !== 'superseded')
      problems.push(`${id}: superseded by ${list[0]} but ended ${last?.state}/${last?.reasonResolved}`);
    const art = t.artifacts.find((a) => a.name === 'public/superseded-by.json');
    if (!art?.body) problems.push(`${id}: no public/superseded-by.json`);
    else {
      try {
        if (JSON.parse(art.body.toString('utf8')).taskId !== list[0])
          problems.push(`${id}: superseded-by.json names another task`);
      } catch {
        problems.push(`${id}: superseded-by.json is not JSON`);
      }
    }
  }
  if (judged === 0) return null;
  return verdict(problems, `${judged} superseded task(s) resolved exception/superseded with superseded-by.json`);
};
