// artifacts.content-encoding.identity-recorded: what "not gzipped" looks like on the wire, per generation.
import { BOTH, gw, gw11 } from '../lib/sources.ts';
import { artifactName, body, claims, isOk, runCalls, verdict } from '../lib/observe.ts';
import type { Checker, Statement } from '../types.ts';

/** The payload's data artifacts (s3) stored without gzip: current records identity, 11.0.1 nothing. */
export const identityRecorded: Checker = (obs) => {
  const current = obs.profile.generation === 'current';
  const problems: string[] = [];
  let judged = 0;
  for (const c of claims(obs)) {
    const t = obs.tasks[c.taskId];
    const declared = new Set(
      ((t?.definition?.payload?.artifacts ?? []) as any[]).map((a) => String(a?.name ?? a?.path ?? '')),
    );
    const s3 = runCalls(obs, c.taskId, c.runId).filter(
      (e) => e.route === 'createArtifact' && isOk(e) && body(e).storageType === 's3' && declared.has(artifactName(e)),
    );
    for (const e of s3) {
      const a = t?.artifacts.find((x) => x.name === artifactName(e) && x.runId === c.runId);
      if (!a || a.contentEncoding === 'gzip' || a.body === undefined) continue;
      judged++;
      const want = current ? 'identity' : undefined;
      if (a.contentEncoding !== want)
        problems.push(
          `${a.name}: stored with Content-Encoding ${a.contentEncoding ?? '(none)'}, expected ${want ?? '(none)'}`,
        );
    }
  }
  if (judged === 0) return null;
  return verdict(
    problems,
    `${judged} artifact(s) stored without gzip recorded ${current ? 'Content-Encoding identity' : 'no Content-Encoding'}`,
  );
};

export const statements: Statement[] = [
  {
    id: 'artifacts.content-encoding.identity-recorded',
    area: 'artifacts',
    level: 'SHOULD',
    text: 'A payload artifact uploaded without gzip is sent with an explicit "Content-Encoding: identity" (current), or with no Content-Encoding (11.0.1).',
    source: [
      gw('artifact_feature.go (createDataArtifact: "identity" for SkipCompressionExtensions)'),
      gw('artifacts/s3.go (*S3Artifact).ProcessResponse: sets the Content-Encoding header when non-empty'),
      gw11(
        'artifacts.go (*S3Artifact).ChooseContentEncoding leaves it empty for those files; ProcessResponse sets the header only when non-empty)',
      ),
    ],
    generations: BOTH,
    divergence:
      '11.0.1 leaves the encoding empty for files it does not gzip, so the upload carries no Content-Encoding; current names identity. Each generation is held to its own form.',
    check: identityRecorded,
    rule: 'Reads the 2xx s3 createArtifact calls for the payload’s artifacts and each artifact as the runner downloaded it. For those not stored gzip-encoded: fails when the recorded Content-Encoding is not identity (current generation) or is present at all (v11).',
  },
];
