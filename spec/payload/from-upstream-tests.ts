// Payload statements that came from porting generic-worker's own tests (issue 11): each cites the
// upstream test as well as the code. Kept beside the topic files so parallel work does not collide.
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'payload';

export const statements: Statement[] = [
  {
    id: 'payload.on-exit-status.purge-caches-unlisted-keeps',
    area,
    level: 'MUST',
    text: "Only a last exit code listed in onExitStatus.purgeCaches purges the task's caches: success, an unlisted code or an empty list keep them for the next task.",
    source: [
      gw('mounts_feature.go (purgeCaches on exit)'),
      gw(
        'purge_caches_test.go (TestPurgeCachesCommandFailure, TestPurgeCachesCommandSuccess, TestPurgeCachesEmptyListCommandSuccess, TestPurgeCachesEmptyListCommandFailure)',
      ),
    ],
    generations: CURRENT,
  },
  {
    id: 'payload.on-exit-status.purge-caches-only-own',
    area,
    level: 'MUST',
    text: 'A purgeCaches exit code purges only the caches the task mounted; caches of other tasks stay.',
    source: [gw('purge_caches_test.go (TestPurgeTaskCaches)')],
    generations: CURRENT,
  },
  {
    id: 'payload.env.worker-location',
    area,
    level: 'MUST',
    text: 'When config workerLocation is set, TASKCLUSTER_WORKER_LOCATION carries it verbatim to every command.',
    source: [gw('main.go (task environment)'), gw('envvars_test.go (TestWorkerLocation)')],
    generations: CURRENT,
  },
];
