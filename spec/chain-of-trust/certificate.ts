// chain-of-trust.*: the signed certificate of a run's artifacts.
import { BOTH, CURRENT, gw, gw11, gwb, seed, V11 } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './certificate.check.ts';

const area = 'chain-of-trust';

export const statements: Statement[] = [
  {
    id: 'chain-of-trust.certificate.fields',
    area,
    level: 'MUST',
    text: 'The certificate is JSON with chainOfTrustVersion 1, artifacts, task, taskId, runId, workerGroup, workerId and environment.',
    source: [gwb('4.1'), gw11('chain_of_trust.go'), gw('chain_of_trust_feature.go')],
    generations: BOTH,
    check: c.fields,
  },
  {
    id: 'chain-of-trust.certificate.artifact-hashes',
    area,
    level: 'MUST',
    text: 'The certificate lists the sha256 of every data artifact uploaded before it, certified.log included, and excludes the live log, the backing log and itself.',
    source: [gwb('4.1'), gw('chain_of_trust_test.go')],
    generations: BOTH,
    check: c.artifactHashes,
  },
  {
    id: 'chain-of-trust.certificate.certified-log',
    area,
    level: 'MUST',
    text: 'With the certificate the worker publishes public/logs/certified.log, the log as it stood when the certificate was made.',
    source: [gwb('4.1'), gw11('chain_of_trust.go')],
    generations: BOTH,
    check: c.certifiedLog,
  },
  {
    id: 'chain-of-trust.ed25519.signature',
    area,
    level: 'MUST',
    text: 'Current workers publish public/chain-of-trust.json and public/chain-of-trust.json.sig, a raw 64-byte ed25519 signature of its exact bytes by the worker key.',
    source: [gwb('0'), gwb('4.2'), gw('chain_of_trust_feature.go'), gw('chain_of_trust_test.go')],
    generations: CURRENT,
    divergence:
      "Upstream v106 offers chainOfTrust only in the multiuser engine; the insecure engine's payload schema has no features.chainOfTrust, so it refuses the task malformed-payload (insecure_linux.go lists no ChainOfTrustFeature). The chain-of-trust cases require the tag chain-of-trust, which a profile of the insecure engine lists as unsupported.",
    check: c.ed25519Signature,
  },
  {
    id: 'chain-of-trust.openpgp.clear-signed',
    area,
    level: 'MUST',
    text: '11.0.1 publishes public/chainOfTrust.json.asc, the certificate OpenPGP clear-signed with the worker key.',
    source: [gwb('0'), gwb('4.2'), gw11('chain_of_trust.go'), seed('Feature: generateCertificate')],
    generations: V11,
    divergence:
      'The seed README names the artifact public/logs/certificate.json.gpg; no inspected tag uses that name (v10.0.5+ and 11.0.1 use public/chainOfTrust.json.asc). The code wins.',
    check: c.clearSigned,
  },
  {
    id: 'chain-of-trust.certificate.content-types',
    area,
    level: 'MUST',
    text: 'The certificate and certified.log are text/plain; charset=utf-8 and the .sig is application/octet-stream.',
    source: [gwb('4.2'), gw('chain_of_trust_test.go')],
    generations: BOTH,
    check: c.contentTypes,
  },
  {
    id: 'chain-of-trust.key.not-readable-by-task',
    area,
    level: 'MUST',
    text: 'If task code can read the signing key the run resolves malformed-payload, saying it expected the read to fail.',
    source: [gwb('0'), gwb('4.2'), gw11('chain_of_trust_all-unix-style.go'), gw('chain_of_trust_test.go')],
    generations: BOTH,
    divergence:
      'On Unix 11.0.1 always runs tasks as the worker user, so every chainOfTrust task ends this way there (headline finding 4).',
  },
  {
    id: 'chain-of-trust.certificate.reserved-names',
    area,
    level: 'MUST',
    text: "A payload artifact may not replace the worker's chain-of-trust artifacts.",
    source: [gwb('3.1'), gw('chain_of_trust_test.go')],
    generations: CURRENT,
  },
  {
    id: 'chain-of-trust.certificate.additional-data',
    area,
    level: 'MUST',
    text: 'A task-written chain-of-trust-additional-data.json is merged under the certificate, whose own keys win.',
    source: [gwb('4.1'), gw('chain_of_trust_test.go')],
    generations: CURRENT,
  },
];
