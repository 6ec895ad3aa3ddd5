// worker.shutdown.*: stopping the worker while it holds a task.
import { BOTH, CURRENT, gw, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'worker';

export const statements: Statement[] = [
  {
    id: 'worker.shutdown.sigterm-running-task',
    area,
    level: 'MUST',
    text: 'SIGTERM while a task runs aborts it, resolves it exception/worker-shutdown and the worker exits 72.',
    source: [gwb('2.6'), gwb('6.1'), gw('graceful/graceful.go')],
    generations: CURRENT,
  },
  {
    id: 'worker.shutdown.sigterm-after-commands',
    area,
    level: 'SHOULD',
    text:
      'SIGTERM after the commands ended but before the run is resolved (artifacts or the log still uploading) ' +
      'resolves a run that would have completed exception/worker-shutdown, not completed; the worker exits 72.',
    source: [
      gw('abort_feature.go: AbortTaskFeature.Start (listens until Stop, the last feature to stop)'),
      gw('taskstatus.go: TaskStatusManager.Abort (status aborted), ReportCompleted (only from claimed/reclaimed)'),
      gw('main.go: TaskRun.resolve'),
    ],
    generations: CURRENT,
    divergence:
      'generic-worker v106 moves the run to its internal aborted state and then refuses reportCompleted from it ' +
      '(updateStatus: "Not updating status of task"), and nothing else is reported for a run without errors, so ' +
      'the run stays claimed until the Queue resolves it exception/claim-expired. tc-worker reports the ' +
      'worker-shutdown that Abort recorded, as its --help says for exit 72. A run that had failed or errored keeps ' +
      'its own resolution in both (reportFailed and reportException are allowed from aborted). Measured ' +
      '2026-12-02 with v106 (insecure engine, fixture worker/shutdown/sigterm-during-upload): the run stayed ' +
      'running and the worker had not exited 60 s after the SIGTERM.',
  },
  {
    id: 'worker.shutdown.sigint-finishes-task',
    area,
    level: 'MUST',
    text: 'SIGINT while a task runs lets the task finish and be resolved before the worker exits 71.',
    source: [gwb('6.1'), gw('main.go')],
    generations: BOTH,
  },
];
