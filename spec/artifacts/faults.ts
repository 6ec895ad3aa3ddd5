// artifacts.faults.*: artifact paths that name something a worker must not read as a file (issue 10).
import { BOTH, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

export const statements: Statement[] = [
  {
    id: 'artifacts.faults.not-regular-file',
    area: 'artifacts',
    level: 'MUST',
    text: 'A file artifact that is a FIFO (or another non-regular file) becomes an error artifact (invalid-resource-on-worker) without the worker blocking on it.',
    source: ['issue 10: attack A11 (the worker blocked on a FIFO)', gw('artifact_feature.go resolve')],
    generations: BOTH,
  },
];
