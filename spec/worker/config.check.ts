// Checkers for worker.config.*: secrets stay out of the worker's own output.
import { verdict } from '../lib/observe.ts';
import { knownSecrets, secretsIn } from '../lib/secrets.ts';
import type { Checker } from '../types.ts';

/** The worker's output holds none of its configured secrets (any *token / *secret key) nor its private keys. */
export const secretsMasked: Checker = (obs) => {
  const secrets = knownSecrets({ ...obs, trace: [] });
  if (secrets.length === 0 || obs.stdout.length + obs.stderr.length === 0) return null;
  return verdict(
    secretsIn(obs.stdout + obs.stderr, secrets, 'the worker output'),
    `none of ${secrets.length} configured secret(s) appears in the worker output`,
  );
};

/** A case that removes a config key (null in setup.config) expects exit 73 naming the key. */
export const requiredMissing: Checker = (obs, c) => {
  const removed = Object.entries((c.setup?.config ?? {}) as Record<string, unknown>)
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  if (removed.length === 0) return null;
  const out = obs.stdout + obs.stderr;
  const problems: string[] = [];
  if (obs.exitCode !== 73)
    problems.push(`exit ${obs.exitCode ?? `signal ${obs.signal}`}, not 73, without ${removed.join(', ')}`);
  for (const k of removed)
    if (!out.includes(k)) problems.push(`the worker output does not name the missing setting ${k}`);
  return verdict(problems, `exit 73 naming the missing ${removed.join(', ')}`);
};
