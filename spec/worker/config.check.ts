// Checkers for worker.config.*: secrets stay out of the worker's own output.
import { verdict } from '../lib/observe.ts';
import type { Checker } from '../types.ts';

export const secretsMasked: Checker = (obs) => {
  const secrets = ['accessToken', 'livelogSecret']
    .map((k) => obs.config[k])
    .filter((v): v is string => typeof v === 'string' && v.length >= 8);
  if (secrets.length === 0 || obs.stdout.length + obs.stderr.length === 0) return null;
  const out = obs.stdout + obs.stderr;
  return verdict(
    secrets.filter((s) => out.includes(s)).map(() => 'a configured secret appears in the worker output'),
    'no configured secret appears in the worker output',
  );
};
