// Checkers for logs.format.*: they parse the decoded backing log of each task.
import { ERROR_LINE, INFO_LINE, lines, verdict, WARN_LINE, workerMessages } from '../lib/observe.ts';
import type { Checker, Observation } from '../types.ts';

const logs = (obs: Observation): Array<[string, string]> =>
  Object.entries(obs.tasks)
    .filter(([, t]) => typeof t.log === 'string' && t.log.length > 0)
    .map(([id, t]) => [id, t.log as string]);

function eachLine(obs: Observation, prefix: string, re: RegExp, what: string) {
  const ls = logs(obs);
  const problems: string[] = [];
  let n = 0;
  for (const [id, log] of ls)
    for (const l of lines(log)) {
      if (!l.startsWith(prefix)) continue;
      n++;
      if (!re.test(l)) problems.push(`${id}: ${what} line ${JSON.stringify(l.slice(0, 80))}`);
    }
  if (n === 0) return null;
  return verdict(problems, `${n} ${what} line(s) well formed`);
}

export const infoPrefix: Checker = (obs) => eachLine(obs, '[taskcluster ', INFO_LINE, 'info');
export const warnPrefix: Checker = (obs) => eachLine(obs, '[taskcluster:warn', WARN_LINE, 'warn');
export const errorPrefix: Checker = (obs) => eachLine(obs, '[taskcluster:error', ERROR_LINE, 'error');

export const header: Checker = (obs) => {
  const ls = logs(obs);
  if (ls.length === 0) return null;
  const problems: string[] = [];
  const v11 = obs.profile.generation === 'v11';
  for (const [id, log] of ls) {
    const msgs = workerMessages(log);
    const wt = msgs.findIndex((m) => /^Worker Type \(([^)]*)\) settings:$/.test(m));
    const tid = msgs.indexOf(`Task ID: ${id}`);
    const start = msgs.indexOf('=== Task Starting ===');
    if (wt < 0) problems.push(`${id}: no "Worker Type (...) settings:" line`);
    else {
      const inner = /^Worker Type \(([^)]*)\)/.exec(msgs[wt])![1];
      if (!v11 && !inner.includes('/')) problems.push(`${id}: header names ${inner}, not <provisionerId>/<workerType>`);
    }
    if (tid < 0) problems.push(`${id}: no "Task ID: ${id}" line`);
    if (start < 0) problems.push(`${id}: no "=== Task Starting ===" line`);
    if (wt >= 0 && tid >= 0 && start >= 0 && !(wt < tid && tid < start))
      problems.push(`${id}: header lines out of order`);
  }
  return verdict(problems, `${ls.length} log header(s) as generic-worker writes them`);
};

export const footer: Checker = (obs) => {
  const ls = logs(obs).filter(([, log]) => workerMessages(log).some((m) => /^Executing command \d+:/.test(m)));
  if (ls.length === 0) return null;
  const problems: string[] = [];
  for (const [id, log] of ls) {
    const msgs = workerMessages(log);
    const fin = msgs.indexOf('=== Task Finished ===');
    if (fin < 0) problems.push(`${id}: no "=== Task Finished ===" line`);
    else if (!msgs.slice(fin + 1).some((m) => m.startsWith('Task Duration: ')))
      problems.push(`${id}: no "Task Duration:" after "=== Task Finished ==="`);
  }
  return verdict(problems, `${ls.length} log(s) end with the task footer`);
};

export const executingCommand: Checker = (obs) => {
  const ls = logs(obs);
  const problems: string[] = [];
  let n = 0;
  for (const [id, log] of ls) {
    const idx = workerMessages(log)
      .map((m) => /^Executing command (\d+): /.exec(m))
      .filter((m) => m !== null)
      .map((m) => Number(m![1]));
    n += idx.length;
    idx.forEach((v, i) => {
      if (v !== i) problems.push(`${id}: command ${v} logged in position ${i}`);
    });
  }
  if (n === 0) return null;
  return verdict(problems, `${n} command(s) announced in order from 0`);
};

const RESULT = [/^\s*Exit Code: -?\d+$/, /^Command ABORTED after /, /^System error executing command/];
/** 11.0.1's line when it aborts a task (maxRunTime, cancel): main.go (*TaskRun).ExecuteCommand then returns before the result. */
const V11_ABORT = /^Aborting task\.\.\.$/;

/**
 * Every "Executing command" is followed, before the next one, by a result block. A v11 worker may
 * instead have aborted the command ("Aborting task..."): 11.0.1 logs no result for it.
 */
export const exitCodeLine: Checker = (obs) => {
  const ls = logs(obs);
  const v11 = obs.profile.generation === 'v11';
  const problems: string[] = [];
  let n = 0;
  for (const [id, log] of ls) {
    const segments: string[][] = [];
    for (const m of workerMessages(log)) {
      if (/^Executing command \d+: /.test(m)) segments.push([]);
      else segments.at(-1)?.push(m);
    }
    n += segments.length;
    const missing = segments.filter(
      (seg) => !seg.some((m) => RESULT.some((re) => re.test(m)) || (v11 && V11_ABORT.test(m))),
    ).length;
    if (missing > 0)
      problems.push(`${id}: ${segments.length} command(s) started, ${segments.length - missing} result block(s)`);
  }
  if (n === 0) return null;
  return verdict(problems, `${n} command(s) followed by a result block`);
};
