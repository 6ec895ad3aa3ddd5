// What a refusal is about: a case expecting exception/malformed-payload names, in `expect.refusal.about`,
// the payload property, feature or scope the refusal must be about, and the task log must name it in
// the worker's explanation. A worker that refuses the task for another reason (a feature it has
// switched off, a missing scope) then fails the case instead of passing it for the wrong reason.
import type { Expect } from '../types.ts';
import { workerMessages } from './observe.ts';

export interface Refusal {
  /** Terms the explanation must name, every one (a property path, a feature, a scope, an artifact name). */
  about: string[];
}

/**
 * The worker's explanation in a task log: its own lines (`[taskcluster…] ` prefix) without the
 * documents it dumps (the payload schema generic-worker prints on a schema error, the worker's
 * settings in the header; both are indented or a lone brace) and without the commands it echoes.
 * A schema dump names every property, so a term found there says nothing about the refusal.
 */
export function explanation(log: string | undefined): string[] {
  return workerMessages(log).filter(
    (m) => m.trim() !== '' && !/^\s/.test(m) && !/^[{}[\]],?$/.test(m.trim()) && !/^Executing command \d+:/.test(m),
  );
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A term as a pattern: case-insensitive, whole (no letter or digit either side), its words (split at
 * spaces and camelCase humps) separated by any spacing, so "taskclusterProxy" is named by
 * "Taskcluster Proxy" and "osGroups" by "OS Groups", but "env" not by "environment".
 */
export function termPattern(term: string): RegExp {
  const words = term
    .trim()
    .split(/\s+/)
    .flatMap((w) => w.split(/(?<=[a-z0-9])(?=[A-Z])/));
  return new RegExp(`(?<![A-Za-z0-9])${words.map(escapeRe).join('\\s*')}(?![A-Za-z0-9])`, 'i');
}

/**
 * The terms of `about` that the log's explanation does not name. `own` are the case's own
 * identifiers (its worker type, which reads like the case id, and its task ids): a worker quoting
 * its pool or a task id names nothing, so they are blanked out first.
 */
export function unnamedTerms(log: string | undefined, about: readonly string[], own: readonly string[] = []): string[] {
  let text = explanation(log).join('\n');
  for (const id of own) if (id) text = text.split(id).join(' ');
  return about.filter((t) => !termPattern(t).test(text));
}

/** One problem line per term the log does not name, or none. */
export function refusalProblems(
  log: string | undefined,
  refusal: Refusal | undefined,
  where: string,
  own: readonly string[] = [],
): string[] {
  if (!refusal) return [];
  if (log === undefined) return [`${where}: no task log to explain the refusal`];
  return unnamedTerms(log, refusal.about, own).map(
    (t) => `${where}: the refusal does not name ${JSON.stringify(t)} (in the worker's own lines, outside dumps)`,
  );
}

/** The case's own identifiers in an observation: its worker type (the case slug) and task ids. */
export function ownIds(obs: { config?: Record<string, unknown>; tasks?: Record<string, unknown> }): string[] {
  const wt = obs.config?.workerType;
  return [...(typeof wt === 'string' ? [wt] : []), ...Object.keys(obs.tasks ?? {})];
}

/** The refusal expected of a task of the case: the main task's from `expect`, another's from `tasks[].expect`. */
export function refusalFor(
  c: {
    expect?: Expect;
    tasks?: Array<{ alias: string; expect?: { refusal?: Refusal } }>;
    taskIds?: Record<string, string>;
  },
  taskId: string,
): Refusal | undefined {
  const ids = c.taskIds ?? {};
  if (ids.main === taskId || (ids.main === undefined && !c.tasks?.length)) return c.expect?.refusal;
  const alias = Object.entries(ids).find(([, id]) => id === taskId)?.[0];
  return c.tasks?.find((t) => t.alias === alias)?.expect?.refusal;
}
