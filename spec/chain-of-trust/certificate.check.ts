// Checkers for chain-of-trust.*: parse the certificate a run published and verify it.
import { createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { claims, verdict } from '../lib/observe.ts';
import type { Checker, Observation, ObservedArtifact } from '../types.ts';

const certSchema = JSON.parse(
  readFileSync(new URL('../../schemas/cot-certificate.schema.json', import.meta.url), 'utf8'),
);
const validateCert = new Ajv2020({ allErrors: true, strict: false }).compile(certSchema);

export const CERT_JSON = 'public/chain-of-trust.json';
export const CERT_SIG = 'public/chain-of-trust.json.sig';
export const CERT_ASC = 'public/chainOfTrust.json.asc';
export const CERTIFIED_LOG = 'public/logs/certified.log';

/** The signed text of an OpenPGP clear-signed message (RFC 4880 §7), dash-escaping undone. */
export function clearSignedText(asc: string): string | undefined {
  const m =
    /-----BEGIN PGP SIGNED MESSAGE-----\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n-----BEGIN PGP SIGNATURE-----/.exec(
      asc,
    );
  if (!m) return undefined;
  return m[1]
    .split(/\r?\n/)
    .map((l) => (l.startsWith('- ') ? l.slice(2) : l))
    .join('\n');
}

interface Cert {
  taskId: string;
  runId: number;
  raw: Buffer;
  cert: any;
  artifacts: ObservedArtifact[];
}

const find = (as: ObservedArtifact[], name: string, runId: number) =>
  as.find((a) => a.name === name && a.runId === runId && a.storageType !== 'error');

/** Every certificate published, parsed; a parse failure is reported as a string. */
function certs(obs: Observation): Array<Cert | string> {
  const out: Array<Cert | string> = [];
  for (const [taskId, t] of Object.entries(obs.tasks)) {
    const runIds = new Set(t.artifacts.map((a) => a.runId));
    for (const runId of runIds) {
      const json = find(t.artifacts, CERT_JSON, runId);
      const asc = find(t.artifacts, CERT_ASC, runId);
      let raw: Buffer | undefined;
      if (json?.body) raw = json.body;
      else if (asc?.body) {
        const text = clearSignedText(asc.body.toString('utf8'));
        if (text === undefined) {
          out.push(`${taskId}/${runId}: ${CERT_ASC} is not an OpenPGP clear-signed message`);
          continue;
        }
        raw = Buffer.from(text);
      }
      if (!raw) continue;
      try {
        out.push({
          taskId,
          runId,
          raw,
          cert: JSON.parse(raw.toString('utf8')),
          artifacts: t.artifacts.filter((a) => a.runId === runId),
        });
      } catch {
        out.push(`${taskId}/${runId}: certificate is not JSON`);
      }
    }
  }
  return out;
}

const sha256 = (a: ObservedArtifact): string | undefined =>
  a.sha256 ?? (a.body ? createHash('sha256').update(a.body).digest('hex') : undefined);

export const fields: Checker = (obs) => {
  const cs = certs(obs);
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const c of cs) {
    if (typeof c === 'string') {
      problems.push(c);
      continue;
    }
    const claim = claims(obs).find((x) => x.taskId === c.taskId && x.runId === c.runId);
    const k = `${c.taskId}/${c.runId}`;
    if (!validateCert(c.cert))
      for (const e of (validateCert.errors ?? []).slice(0, 3))
        problems.push(`${k}: schemas/cot-certificate.schema.json: ${e.instancePath || '/'} ${e.message}`);
    if (c.cert.taskId !== c.taskId) problems.push(`${k}: taskId ${c.cert.taskId}`);
    if (c.cert.runId !== c.runId) problems.push(`${k}: runId ${c.cert.runId}`);
    if (claim && c.cert.workerGroup !== claim.workerGroup) problems.push(`${k}: workerGroup ${c.cert.workerGroup}`);
    if (claim && c.cert.workerId !== claim.workerId) problems.push(`${k}: workerId ${c.cert.workerId}`);
  }
  return verdict(problems, `${cs.length} certificate(s) carry every field`);
};

export const artifactHashes: Checker = (obs) => {
  const cs = certs(obs).filter((c): c is Cert => typeof c !== 'string');
  if (cs.length === 0) return null;
  const problems: string[] = [];
  for (const c of cs) {
    for (const [name, v] of Object.entries<any>(c.cert.artifacts ?? {})) {
      const a = find(c.artifacts, name, c.runId);
      if (!a) problems.push(`${c.taskId}: certificate lists ${name}, which was not published`);
      else if (sha256(a) && sha256(a) !== v?.sha256)
        problems.push(`${c.taskId}: ${name} sha256 ${sha256(a)} != certificate ${v?.sha256}`);
    }
    if (!c.cert.artifacts?.[CERTIFIED_LOG]) problems.push(`${c.taskId}: certificate does not list ${CERTIFIED_LOG}`);
    for (const excluded of ['public/logs/live.log', 'public/logs/live_backing.log', CERT_JSON, CERT_SIG, CERT_ASC])
      if (c.cert.artifacts?.[excluded]) problems.push(`${c.taskId}: certificate lists ${excluded}`);
  }
  return verdict(problems, `${cs.length} certificate(s) hash exactly the published artifacts`);
};

export const certifiedLog: Checker = (obs) => {
  const cs = certs(obs).filter((c): c is Cert => typeof c !== 'string');
  if (cs.length === 0) return null;
  const problems = cs
    .filter((c) => !find(c.artifacts, CERTIFIED_LOG, c.runId))
    .map((c) => `${c.taskId}: no ${CERTIFIED_LOG}`);
  return verdict(problems, 'every certificate came with public/logs/certified.log');
};

/** The ed25519 public key of a base64 32-byte seed, as generic-worker stores it. */
export function publicKeyFromSeed(seedB64: string) {
  const seed = Buffer.from(seedB64.trim(), 'base64');
  if (seed.length !== 32) throw new Error(`ed25519 seed is ${seed.length} bytes, not 32`);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
}

export const ed25519Signature: Checker = (obs) => {
  const signed = Object.entries(obs.tasks).flatMap(([id, t]) =>
    t.artifacts
      .filter((a) => a.name === CERT_JSON && a.body)
      .map((a) => ({ id, a, sig: find(t.artifacts, CERT_SIG, a.runId) })),
  );
  if (signed.length === 0) return null;
  const keyPath = obs.config.ed25519SigningKeyLocation;
  if (typeof keyPath !== 'string') return null;
  let key: ReturnType<typeof publicKeyFromSeed>;
  try {
    key = publicKeyFromSeed(readFileSync(keyPath, 'utf8'));
  } catch (e) {
    return { ok: false, message: `cannot read the signing key at ${keyPath}: ${(e as Error).message}` };
  }
  const problems: string[] = [];
  for (const s of signed) {
    if (!s.sig?.body) problems.push(`${s.id}: no ${CERT_SIG}`);
    else if (s.sig.body.length !== 64) problems.push(`${s.id}: signature is ${s.sig.body.length} bytes, not 64`);
    else if (!verify(null, s.a.body!, key, s.sig.body)) problems.push(`${s.id}: signature does not verify`);
  }
  return verdict(problems, `${signed.length} certificate signature(s) verify with the worker's ed25519 key`);
};

export const clearSigned: Checker = (obs) => {
  const ascs = Object.entries(obs.tasks).flatMap(([id, t]) =>
    t.artifacts.filter((a) => a.name === CERT_ASC).map((a) => ({ id, a })),
  );
  if (ascs.length === 0) return null;
  const problems: string[] = [];
  for (const { id, a } of ascs) {
    const text = a.body?.toString('utf8') ?? '';
    if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----'))
      problems.push(`${id}: does not start a clear-signed message`);
    if (!/-----BEGIN PGP SIGNATURE-----[\s\S]+-----END PGP SIGNATURE-----/.test(text))
      problems.push(`${id}: no armored signature block`);
  }
  return verdict(problems, `${ascs.length} .asc certificate(s) are OpenPGP clear-signed`);
};

export const contentTypes: Checker = (obs) => {
  const want: Record<string, string> = {
    [CERT_JSON]: 'text/plain; charset=utf-8',
    [CERT_SIG]: 'application/octet-stream',
    [CERT_ASC]: 'text/plain; charset=utf-8',
    [CERTIFIED_LOG]: 'text/plain; charset=utf-8',
  };
  const as = Object.values(obs.tasks).flatMap((t) =>
    t.artifacts.filter((a) => want[a.name] && a.storageType !== 'error'),
  );
  if (as.length === 0) return null;
  const problems = as
    .filter((a) => a.contentType !== want[a.name])
    .map((a) => `${a.name}: ${a.contentType}, not ${want[a.name]}`);
  return verdict(problems, `${as.length} chain-of-trust artifact(s) have the expected content type`);
};
