// Artifact statements that came from porting generic-worker's own tests (issue 11): each cites the
// upstream test as well as the code. Kept beside payload-artifacts.ts so parallel work does not collide.
import { BOTH, CURRENT, gw, gw11 } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'artifacts';

export const statements: Statement[] = [
  {
    id: 'artifacts.content-type.jsonl',
    area,
    level: 'SHOULD',
    text: 'Without a payload contentType, a .jsonl artifact is application/jsonl (generic-worker adds it to the MIME table) and is stored gzip-encoded.',
    source: [
      gw('artifacts/artifacts.go (customMimeMappings)'),
      gw('artifacts_test.go (TestFileArtifactWithJSONLContentType)'),
    ],
    generations: CURRENT,
  },
  {
    id: 'artifacts.directory.default-name',
    area,
    level: 'MUST',
    text: 'A directory artifact without name names each file "<path>/<relative path>", with "/" as separator.',
    source: [
      gw('artifact_feature.go'),
      gw('artifacts_test.go (TestDirectoryArtifacts, TestPublicDirectoryArtifact)'),
      gw11('artifacts_test.go (TestDirectoryArtifacts, TestPublicDirectoryArtifact)'),
    ],
    generations: BOTH,
  },
  {
    id: 'artifacts.error.message',
    area,
    level: 'SHOULD',
    text: "An error artifact's message names the full path: \"Could not read file|directory '<path>'\", \"File artifact '<path>' exists as a directory, not a file, on the worker\", or \"Directory artifact '<path>' exists as a file, not a directory, on the worker\".",
    source: [
      gw('artifact_feature.go (resolve)'),
      gw(
        'artifacts_test.go (TestMissingFileArtifact, TestMissingDirectoryArtifact, TestFileArtifactIsDirectory, TestDirectoryArtifactIsFile)',
      ),
      gw11('artifacts.go'),
    ],
    generations: BOTH,
  },
  {
    id: 'artifacts.duplicate.conflicting-names',
    area,
    level: 'MUST',
    text: 'Two payload artifacts naming different files under one artifact name make the run exception/malformed-payload: one file is published under the name, the upload of the other conflicts (409).',
    source: [
      gw('artifacts_test.go (TestConflictingFileArtifactsInPayload)'),
      gw11('artifacts_test.go (TestConflictingFileArtifactsInPayload)'),
    ],
    generations: BOTH,
    divergence:
      'Holds when the two differ in content type, as in the upstream test. When they differ only in expiry the Queue takes a longer expiry second and refuses a shorter one (services/queue/src/api.js createArtifact), so the outcome follows upload order: the differential run saw v106 (concurrent uploads, artifact_feature.go) complete such a task that tc-worker (payload order) resolved malformed-payload. The property tests allow either there.',
  },
  {
    id: 'artifacts.duplicate.file-and-directory',
    area,
    level: 'MUST',
    text: 'The same file reached both as a file artifact and through a directory artifact, under the same name, is uploaded once and the task completes.',
    source: [
      gw('artifacts_test.go (TestArtifactIncludedAsFileAndDirectoryInPayload)'),
      gw11('artifacts_test.go (TestArtifactIncludedAsFileAndDirectoryInPayload)'),
    ],
    generations: BOTH,
  },
];
