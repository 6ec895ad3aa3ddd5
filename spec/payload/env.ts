// payload.env.*: the environment commands see.
import { BOTH, CURRENT, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'payload';

export const statements: Statement[] = [
  {
    id: 'payload.env.payload-vars',
    area,
    level: 'MUST',
    text: 'Every variable in payload.env is set for every command.',
    source: [gwb('2.4'), gw11('plat_all-unix-style.go')],
    generations: BOTH,
  },
  {
    id: 'payload.env.task-id',
    area,
    level: 'MUST',
    text: 'TASK_ID holds the task id and payload.env cannot override it.',
    source: [gwb('2.4'), gw11('plat_all-unix-style.go')],
    generations: BOTH,
  },
  {
    id: 'payload.env.run-id',
    area,
    level: 'MUST',
    text: 'RUN_ID holds the run id.',
    source: [gwb('2.4'), gw('insecure.go'), gw('main_test.go')],
    generations: CURRENT,
  },
  {
    id: 'payload.env.task-workdir',
    area,
    level: 'MUST',
    text: 'TASK_WORKDIR holds the task directory, which is also the working directory.',
    source: [gwb('2.4'), gw('insecure.go')],
    generations: CURRENT,
  },
  {
    id: 'payload.env.task-group-id',
    area,
    level: 'MUST',
    text: 'TASK_GROUP_ID holds the task group id.',
    source: [gwb('2.4'), gw('insecure.go')],
    generations: CURRENT,
  },
  {
    id: 'payload.env.root-url',
    area,
    level: 'MUST',
    text: 'TASKCLUSTER_ROOT_URL holds the deployment root URL.',
    source: [gwb('2.4'), gw('insecure.go')],
    generations: CURRENT,
  },
  {
    id: 'payload.env.no-access-token',
    area,
    level: 'MUST',
    text: "The worker's TASKCLUSTER_ACCESS_TOKEN never reaches task commands.",
    source: [gwb('2.4'), gw11('plat_all-unix-style.go'), gw('insecure.go')],
    generations: BOTH,
  },
  {
    id: 'payload.env.worker-env-inherited',
    area,
    level: 'MAY',
    text: "Without per-task users the commands inherit the worker process's environment (minus the access token).",
    source: [gwb('2.4'), gw('insecure.go')],
    generations: BOTH,
  },
  {
    id: 'payload.env.instance-type',
    area,
    level: 'MUST',
    text: 'When config instanceType is set, TASKCLUSTER_INSTANCE_TYPE carries it.',
    source: [gwb('2.4'), gw('main_test.go')],
    generations: CURRENT,
  },
];
