// payload.max-run-time.*: the run-time limit.
import { BOTH, CURRENT, gw, gw11, gwb, seed } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './max-run-time.check.ts';

const area = 'payload';

export const statements: Statement[] = [
  {
    id: 'payload.max-run-time.exceeded-aborts',
    area,
    level: 'MUST',
    text: 'A task still running after maxRunTime seconds is aborted and resolves failed/failed.',
    source: [gwb('0'), gwb('2.6'), gw11('main.go'), gw('max_run_time_feature.go'), gw('main_test.go')],
    generations: BOTH,
    check: c.maxRunTimeFails,
  },
  {
    id: 'payload.max-run-time.message',
    area,
    level: 'MUST',
    text: 'The log of a task aborted for maxRunTime contains "max run time exceeded".',
    source: [gwb('0'), gw11('main.go'), gw('max_run_time_feature.go'), seed('Payload format')],
    generations: BOTH,
    divergence:
      'Older releases and the seed era wrote "Aborting task - max run time exceeded!" (up to v10.8.1); 11.0.1 writes "Task aborted - max run time exceeded", current "task aborted - max run time exceeded". The upstream tests only assert the substring "max run time exceeded", which wins here.',
  },
  {
    id: 'payload.max-run-time.within-limit',
    area,
    level: 'MUST',
    text: 'A task that finishes within maxRunTime is not aborted.',
    source: [gwb('2.6'), gw11('main.go')],
    generations: BOTH,
  },
  {
    id: 'payload.max-run-time.purges-caches',
    area,
    level: 'SHOULD',
    text: 'A task aborted for maxRunTime has its writable caches purged, as they may be inconsistent.',
    source: [gwb('2.6'), gw('mounts_feature.go'), gw('main_test.go')],
    generations: CURRENT,
  },
];
