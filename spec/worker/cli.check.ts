// Checkers for worker.cli.*: what the non-run targets print.
import { verdict } from '../lib/observe.ts';
import type { CaseExpectation, Checker } from '../types.ts';

const target = (c: CaseExpectation): string | undefined => (c.setup?.args as string[] | undefined)?.[0];

export const showPayloadSchema: Checker = (obs, c) => {
  if (target(c) !== 'show-payload-schema') return null;
  let schema: any;
  try {
    schema = JSON.parse(obs.stdout);
  } catch {
    return { ok: false, message: 'show-payload-schema did not print JSON' };
  }
  const generic = [schema, ...(schema.oneOf ?? [])].find(
    (s: any) => Array.isArray(s?.required) && s.required.includes('command'),
  );
  const problems: string[] = [];
  if (!generic) problems.push('no schema (or oneOf branch) requires command');
  else if (!generic.required.includes('maxRunTime')) problems.push('maxRunTime is not required');
  return verdict(problems, 'printed a payload schema requiring command and maxRunTime');
};

export const version: Checker = (obs, c) => {
  if (target(c) !== '--version') return null;
  const first = obs.stdout.trim().split('\n')[0] ?? '';
  return verdict(
    /\d+\.\d+\.\d+/.test(first) ? [] : [`--version printed ${JSON.stringify(first)}`],
    `--version printed ${first}`,
  );
};

export const ed25519Keypair: Checker = (obs, c) => {
  if (target(c) !== 'new-ed25519-keypair') return null;
  const pub = Buffer.from(obs.stdout.trim(), 'base64');
  return verdict(
    pub.length === 32 ? [] : [`stdout decodes to ${pub.length} bytes, not a 32-byte public key`],
    'printed a base64 ed25519 public key',
  );
};

export const openpgpKeypair: Checker = (obs, c) => {
  if (target(c) !== 'new-openpgp-keypair') return null;
  return verdict(
    obs.stdout.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') ? [] : ['stdout has no armored public key'],
    'printed an armored OpenPGP public key',
  );
};
