// worker.faults.*: the worker process under operator-side faults (issue 10, items 6-7).
import { BOTH, CURRENT, gw } from '../lib/sources.ts';
import { verdict } from '../lib/observe.ts';
import type { Checker, Statement } from '../types.ts';

/** The fresh worker left no task directory of the killed one (it ran no task itself). */
const noOldTaskDir: Checker = (obs) =>
  obs.host
    ? verdict(
        obs.host.taskDirs.map((d) => `tasks/${d} still there when the fresh worker exited`),
        'no task directory left when the fresh worker exited',
      )
    : null;

const area = 'worker';
const ISSUE = 'issue 10: faults injected around a running worker';

export const statements: Statement[] = [
  {
    id: 'worker.faults.scratch-apart-from-tasks',
    area,
    level: 'SHOULD',
    text: "A task that fills the worker's temporary directory (TMPDIR) does not break the next task: its log is still uploaded.",
    source: [`${ISSUE}, item 6`],
    generations: BOTH,
  },
  {
    id: 'worker.faults.fresh-worker-cleans-up',
    area,
    level: 'MUST',
    text: 'After kill -9 of a worker in the middle of a task, a fresh worker on the same tasksDir removes the old task directory and ends the processes that task left.',
    source: [`${ISSUE}, item 7`, gw('insecure.go purgeOldTasks'), gw('multiuser.go purgeOldTasks')],
    generations: CURRENT,
    check: noOldTaskDir,
  },
  {
    id: 'worker.faults.live-worker-untouched',
    area,
    level: 'SHOULD',
    text: "A worker starting on a tasksDir that a live worker is using removes neither that worker's task directory, nor its task user, nor its processes.",
    source: [`${ISSUE}, item 7 (attack A10)`, gw('multiuser.go purgeOldTasks'), gw('main.go deleteTaskDirs')],
    generations: CURRENT,
    divergence:
      'generic-worker assumes one worker per tasksDir: purgeOldTasks (insecure.go, multiuser.go) deletes every task directory (and, multiuser, every task user) but those of its own current and next task. The kit holds workers to more, at SHOULD: tc-worker keeps an owner record per task directory.',
  },
];
