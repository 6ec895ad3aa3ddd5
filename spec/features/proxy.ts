// features.proxy.*: the taskcluster-proxy feature.
import { CURRENT, gw, gwb, q } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'features';

export const statements: Statement[] = [
  {
    id: 'features.proxy.url-env',
    area,
    level: 'MUST',
    text: "With features.taskclusterProxy the commands find the proxy at TASKCLUSTER_PROXY_URL, and calls through it are signed with the run's credentials.",
    source: [gwb('2.4'), gw('taskcluster_proxy_feature.go'), gw('taskcluster_proxy_test.go')],
    generations: CURRENT,
  },
  {
    id: 'features.proxy.task-scopes-only',
    area,
    level: 'MUST',
    text: 'Calls through the proxy carry only task.scopes, so the task cannot resolve its own run.',
    source: [q(15), gw('taskcluster_proxy_feature.go')],
    generations: CURRENT,
  },
];
