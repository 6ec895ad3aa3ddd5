// Each claimed run with its payload, log and the worker's own resolution: what payload checkers judge.
import type { Observation } from '../types.ts';
import { body, claims, resolution, workerMessages } from './observe.ts';

export interface Ran {
  key: string;
  payload: any;
  log?: string;
  route?: string;
  reason?: string;
}

/** Each claimed run with its payload, log and the worker's own resolution. */
export function ran(obs: Observation): Ran[] {
  return claims(obs).map((c) => {
    const t = obs.tasks[c.taskId];
    const r = resolution(obs, c.taskId, c.runId);
    return {
      key: `${c.taskId}/${c.runId}`,
      payload: t?.definition?.payload ?? c.task?.payload ?? {},
      log: t?.log,
      route: r?.route,
      reason: r && r.route === 'reportException' ? body(r).reason : undefined,
    };
  });
}

/** Exit codes of the commands that ran, in order, from the log's result blocks. */
export const exitCodes = (log: string | undefined): number[] =>
  workerMessages(log)
    .map((m) => /^\s*Exit Code: (-?\d+)$/.exec(m))
    .filter((m) => m !== null)
    .map((m) => Number(m![1]));

export const commandsStarted = (log: string | undefined): number =>
  workerMessages(log).filter((m) => /^Executing command \d+: /.test(m)).length;
