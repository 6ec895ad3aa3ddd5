// features.metadata.*: the file current generic-worker keeps about the last task it ran
// (metadata_feature.go).
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'features';

export const statements: Statement[] = [
  {
    id: 'features.metadata.last-task-url',
    area,
    level: 'MUST',
    text: 'With enableMetadata, when a task ends, however it ended, the worker writes generic-worker-metadata.json in its working directory holding {"lastTaskUrl": "<rootURL>/tasks/<taskId>/runs/<runId>"} of that run.',
    source: [gw('metadata_feature.go (MetadataTaskFeature.Stop)'), gw('fileutil/fileutil.go (WriteToFileAsJSON)')],
    generations: CURRENT,
    divergence:
      'MetadataFeature.IsRequested is always true in v106, so with enableMetadata false v106 refuses every task (malformed-payload, "not enabled"); tc-worker then writes nothing and runs the task. No case holds a worker to either.',
  },
];
