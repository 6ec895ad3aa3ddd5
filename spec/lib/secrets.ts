// Every secret the runner knows for a case: what a worker must not hand to task code, logs or artifacts.
// The worker's own access token and other configured secrets, each run's temporary access tokens (from
// the claim and every reclaim), and the key material the runner made (Observation.secrets).
//
// Not a secret: a token the worker itself publishes. generic-worker 11.0.1 puts each live log's GET
// token into its own environment (livelog/livelog.go New: os.Setenv("ACCESS_TOKEN", slugid)), so task
// commands inherit it (measured: each task gets the previous task's). That token is the path of the GET
// URL the worker published as that task's public/logs/live.log redirect artifact, so a task learns
// nothing it could not read from a public artifact. v106 sets it on the livelog process only
// (workers/generic-worker/livelog/livelog.go New, since 4a5572769f). The runner never learns that
// token, so it is not looked for.
import type { Observation } from '../types.ts';
import { claims, okCalls } from './observe.ts';

/** Config keys whose string value is a secret (accessToken, livelogSecret, …). */
export const SECRET_KEY = /token|secret|password/i;
/** Shorter values (e.g. a test's placeholder) are not looked for: they would match by chance. */
const MIN_SECRET = 8;

export interface KnownSecret {
  /** What it is, for a problem line: never the value itself. */
  what: string;
  value: string;
}

export function knownSecrets(obs: Observation): KnownSecret[] {
  const out = new Map<string, string>();
  const add = (what: string, v: unknown) => {
    if (typeof v === 'string' && v.length >= MIN_SECRET && !out.has(v)) out.set(v, what);
  };
  for (const [k, v] of Object.entries(obs.config ?? {})) if (SECRET_KEY.test(k)) add(`config ${k}`, v);
  for (const c of claims(obs))
    add(`the temporary access token of run ${c.taskId}/${c.runId}`, c.credentials?.accessToken);
  for (const e of okCalls(obs, 'reclaimTask'))
    add(`the reclaimed access token of run ${e.taskId}/${e.runId}`, (e.response.body as any)?.credentials?.accessToken);
  for (const s of obs.secrets ?? []) add(s.what, s.value);
  return [...out].map(([value, what]) => ({ what, value }));
}

/** Where each known secret appears in `text`: one problem line per secret found, naming what it is. */
export function secretsIn(text: string, secrets: readonly KnownSecret[], where: string): string[] {
  return secrets.filter((s) => text.includes(s.value)).map((s) => `${where} contains ${s.what}`);
}
