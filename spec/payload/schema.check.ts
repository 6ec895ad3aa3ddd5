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

const KNOWN_TOP = new Set([
  'command',
  'env',
  'maxRunTime',
  'artifacts',
  'features',
  'mounts',
  'osGroups',
  'supersederUrl',
  'onExitStatus',
  'rdpInfo',
  'logs',
  'taskclusterProxyInterface',
]);
const KNOWN_FEATURES = new Set([
  'chainOfTrust',
  'taskclusterProxy',
  'runAsAdministrator',
  'liveLog',
  'backingLog',
  'interactive',
  'loopbackVideo',
  'loopbackAudio',
  'runTaskAsCurrentUser',
  'resourceMonitor',
  'hideCmdWindow',
]);

/** A checker: whenever `bad(payload)` names a problem, the run must have been malformed-payload. */
function malformedWhen(bad: (p: any) => string | undefined): Checker {
  return (obs) => {
    const rs = ran(obs)
      .map((r) => ({ r, why: r.payload && typeof r.payload === 'object' ? bad(r.payload) : undefined }))
      .filter((x) => x.why !== undefined && x.r.route !== undefined);
    if (rs.length === 0) return null;
    const problems = rs
      .filter(({ r }) => r.reason !== 'malformed-payload')
      .map(({ r, why }) => `${r.key}: payload ${why}, yet resolved ${r.route}${r.reason ? `/${r.reason}` : ''}`);
    return verdict(problems, `${rs.length} invalid payload(s) resolved malformed-payload`);
  };
}

export const requiredFields = malformedWhen((p) =>
  p.command === undefined ? 'has no command' : p.maxRunTime === undefined ? 'has no maxRunTime' : undefined,
);
export const noAdditionalProperties = malformedWhen((p) => {
  const extra = Object.keys(p).filter((k) => !KNOWN_TOP.has(k));
  return extra.length ? `has unknown property ${extra[0]}` : undefined;
});
export const envStrings = malformedWhen((p) => {
  const bad = Object.entries(p.env ?? {}).find(([, v]) => typeof v !== 'string');
  return bad ? `env ${bad[0]} is not a string` : undefined;
});
export const commandNotEmpty = malformedWhen((p) =>
  Array.isArray(p.command) &&
  (p.command.length === 0 || p.command.some((c: unknown) => Array.isArray(c) && c.length === 0))
    ? 'has an empty command'
    : undefined,
);
// The cap: 11.0.1's schema maximum 86400; current has none and refuses more than config maxTaskRunTime (default 86400).
export const maxRunTimeBounds: Checker = (obs, c) => {
  const cap = obs.profile.generation === 'v11' ? 86400 : Number(c.setup?.config?.maxTaskRunTime ?? 86400);
  return malformedWhen((p) =>
    p.maxRunTime !== undefined && !(Number.isInteger(p.maxRunTime) && p.maxRunTime >= 1 && p.maxRunTime <= cap)
      ? `has maxRunTime ${JSON.stringify(p.maxRunTime)} (allowed at most ${cap})`
      : undefined,
  )(obs, c);
};
export const emptyObject = malformedWhen((p) => (Object.keys(p).length === 0 ? 'is empty' : undefined));
export const unknownFeature = malformedWhen((p) => {
  const f = Object.keys(p.features ?? {}).find((k) => !KNOWN_FEATURES.has(k));
  return f ? `requests unknown feature ${f}` : undefined;
});
export const retryMinimum = malformedWhen((p) =>
  (p.onExitStatus?.retry ?? []).some((x: unknown) => typeof x !== 'number' || x < 1)
    ? 'has a retry code below 1'
    : undefined,
);
export const unrecognisedMount = malformedWhen((p) =>
  (p.mounts ?? []).some((m: any) => !m?.cacheName && !m?.directory && !m?.file)
    ? 'has an unrecognised mount'
    : undefined,
);
