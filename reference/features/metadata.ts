// Every task (config enableMetadata), after generic-worker's metadata_feature.go: when a task ends,
// whatever ended it, generic-worker-metadata.json in the worker's current directory is replaced by
// {"lastTaskUrl": "<rootURL>/tasks/<taskId>/runs/<runId>"}, so tools on the machine can find the
// last task. Written to a temporary file and renamed, so a reader never sees half of it.
// generic-worker refuses every task when enableMetadata is false (the feature is always requested);
// tc-worker then just writes nothing.
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import type { Feature } from './feature.ts';

export const METADATA_FILE = 'generic-worker-metadata.json';

export function createMetadataFeature(
  options: { dir?: () => string } = {},
): Feature<ResolvedConfig, TaskContext, TaskContext> {
  const dir = options.dir ?? (() => process.cwd());
  return {
    name: 'metadata',
    after: ['backing-log'],
    enabled: () => true,
    requested: (ctx) => ctx.config.enableMetadata,
    forTask(ctx) {
      return {
        async start() {},
        async stop() {
          const file = resolve(dir(), METADATA_FILE);
          const tmp = `${file}.${process.pid}.tmp`;
          const info = { lastTaskUrl: `${ctx.config.rootUrl}/tasks/${ctx.taskId}/runs/${ctx.runId}` };
          // Not being able to write it is the machine's problem, not the task's: say so in the task log
          // (generic-worker panics the worker here).
          try {
            await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`);
            await rename(tmp, file);
          } catch (e) {
            ctx.log.warn(`Could not write ${file}: ${(e as Error).message}`);
          }
        },
      };
    },
  };
}
