// queue.credentials.*: the run's temporary credentials (Q-12..Q-16).
import { BOTH, gw, gw11, q, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './credentials.check.ts';

const area = 'queue';

export const statements: Statement[] = [
  {
    id: 'queue.credentials.run-signed',
    area,
    level: 'MUST',
    text: "The worker signs reclaimTask, report*, createArtifact and finishArtifact for a run with that run's temporary credentials, certificate included.",
    source: [
      q(12),
      tc('services/queue/src/task-creds.js'),
      tc('ui/docs/reference/platform/queue/worker-interaction.mdx'),
    ],
    generations: BOTH,
    check: c.runSigned,
  },
  {
    id: 'queue.credentials.scoped-to-run',
    area,
    level: 'MUST',
    subject: 'queue',
    text: "A run's credentials carry exactly the reclaim-task, resolve-task and create-artifact scopes of that run plus task.scopes, and expire at takenUntil.",
    source: [q(13), tc('services/queue/src/task-creds.js')],
    generations: BOTH,
    check: c.scopedToRun,
  },
  {
    id: 'queue.credentials.replace-after-reclaim',
    area,
    level: 'SHOULD',
    text: 'After a successful reclaim the worker uses the new credentials in place of the old ones, in proxies and features too.',
    source: [q(14), tc('services/queue/src/api.js'), tc('workers/generic-worker/taskcluster_proxy_feature.go')],
    generations: BOTH,
    check: c.replaceAfterReclaim,
  },
  {
    id: 'queue.credentials.proxy-authorized-scopes',
    area,
    level: 'MUST',
    text: 'A worker that proxies calls for the task restricts them to authorizedScopes = task.scopes, so task code cannot resolve its own run.',
    source: [q(15), tc('ui/docs/reference/platform/queue/worker-interaction.mdx')],
    generations: BOTH,
    check: c.proxyAuthorizedScopes,
  },
  {
    id: 'queue.credentials.not-exposed',
    area,
    level: 'SHOULD',
    text: "The worker exposes no secret it holds (the run's credentials, its own access token, other configured secrets such as livelogSecret, its private signing keys) to task code, task logs or artifacts; a token the worker publishes itself, such as the live log's GET token, is not such a secret.",
    source: [
      q(16),
      tc('ui/docs/reference/platform/queue/worker-interaction.mdx'),
      gw11('livelog/livelog.go'),
      gw('livelog/livelog.go'),
    ],
    generations: BOTH,
    divergence:
      "11.0.1 sets ACCESS_TOKEN in its own environment (livelog/livelog.go New: os.Setenv, a fresh slugid per task's live log), so task commands inherit it: measured, the first task has none and each later task gets the previous task's, the GET token of a live log the worker published itself as the path of that task's public/logs/live.log redirect URL and has since stopped. It gives a task nothing beyond a public artifact, so it is allowed. v106 passes it to the livelog process only (livelog.go New, since 4a5572769f). The livelogSecret of 11.0.1's config (the stateless-DNS secret) is a secret and is looked for.",
    check: c.notExposed,
  },
];
