// Sandbox statements that came from porting generic-worker's multiuser tests (issue 11): each cites the
// upstream test as well as the code. Kept beside cleanup.ts so parallel work does not collide.
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'sandbox';

export const statements: Statement[] = [
  {
    id: 'sandbox.artifacts.task-user-access',
    area,
    level: 'MUST',
    text: "With per-task users, an artifact path the task user cannot read (e.g. a symlink to a file only the worker's user may read) is not uploaded: it becomes an error artifact and fails the run unless optional.",
    source: [
      gw('artifact_feature.go'),
      gw('artifacts_multiuser_test.go (TestPrivilegedFileUpload, TestPrivilegedOptionalFileUploadDoesNotFailTest)'),
    ],
    generations: CURRENT,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'sandbox.os-groups.scopes-required',
    area,
    level: 'MUST',
    text: 'Each osGroups entry needs the scope generic-worker:os-group:<provisionerId>/<workerType>/<group>; without them the run resolves malformed-payload and the log names every missing scope.',
    source: [
      gw('os_groups_feature.go (RequiredScopes)'),
      gw('os_groups_multiuser_test.go (TestMissingScopesOSGroups)'),
    ],
    generations: CURRENT,
    platforms: ['linux', 'darwin'],
  },
];
