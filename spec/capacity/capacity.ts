// capacity.*: a worker running several tasks at once (config capacity, current generic-worker):
// workers/generic-worker main.go RunWorker (TaskManager, PortManager), gwconfig/config.go.
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './capacity.check.ts';

const area = 'capacity';

export const statements: Statement[] = [
  {
    id: 'capacity.concurrent.runs-at-once',
    area,
    level: 'MUST',
    text:
      'With capacity N and at least N tasks pending, the worker runs N tasks at the same time, and never ' +
      'more than N.',
    source: [
      gw('main.go: RunWorker (TaskManager.AvailableCapacity, one goroutine per task)'),
      gw('usage.go: capacity'),
    ],
    generations: CURRENT,
    rule: 'Claimed runs span from their claimWork answer (request time + duration) to the start of their first resolution call (open-ended without one). Fails when more runs than config.capacity overlap at any claim, or the peak overlap is below min(capacity, number of claimed runs).',
    check: c.runsAtOnce,
  },
  {
    id: 'capacity.claim.free-slots-only',
    area,
    level: 'MUST',
    text:
      'claimWork asks for at most as many tasks as there are free slots (capacity minus running tasks) and ' +
      'numberOfTasksToRun leaves (resolved and running tasks counted together).',
    source: [
      gw('main.go: RunWorker (claimCount = AvailableCapacity, capped by NumberOfTasksToRun)'),
      gw('main.go: ClaimWork'),
    ],
    generations: CURRENT,
    rule: 'For each claimWork call in obs.trace: fails when request.body.tasks exceeds capacity minus the runs holding a slot at its request time, or (numberOfTasksToRun > 0) exceeds numberOfTasksToRun minus the runs claimed before it.',
    check: c.freeSlotsOnly,
  },
  {
    id: 'capacity.isolation.own-task-directory',
    area,
    level: 'MUST',
    text: 'Tasks running at the same time each run in a task directory of their own.',
    source: [gw('main.go: RunWorker (CreateTaskContext per task, task_<taskId>_<runId>)')],
    generations: CURRENT,
    rule: 'Reads the line TASK_DIR=<dir> each task printed in its log. Applicable with two or more such tasks; fails when two tasks name the same directory.',
    check: c.ownTaskDirectory,
  },
  {
    id: 'capacity.isolation.own-task-user',
    area,
    level: 'MUST',
    text: 'With a task user per task (multiuser engine, headlessTasks), tasks running at the same time run as different OS users.',
    source: [
      gw('multiuser.go: capacity > 1 requires headlessTasks; a task user per task context'),
      gw('main.go: RunWorker'),
    ],
    generations: CURRENT,
    rule: 'Reads the line TASK_USER=<user> each task printed in its log. Applicable with two or more such tasks; fails when two tasks name the same user.',
    check: c.ownTaskUser,
  },
  {
    id: 'capacity.isolation.own-credentials',
    area,
    level: 'MUST',
    text:
      "Each concurrent run's reclaims, artifacts and resolution are signed with that run's own temporary " +
      "credentials, never another run's.",
    source: [gw('main.go: ClaimWork (a Queue client per claimed task)')],
    generations: CURRENT,
    rule: 'Applicable with two or more claimed runs. Fails when a trace entry of a run (its taskId/runId, not claimWork) is signed by a clientId other than that run’s claimWork credentials or a task-client/<taskId>/<runId>/… client.',
    check: c.ownCredentials,
  },
  {
    id: 'capacity.tasks-complete.across-slots',
    area,
    level: 'MUST',
    text:
      'numberOfTasksToRun counts tasks of every slot: the worker exits 0 once that many are resolved, having ' +
      'claimed no more than that.',
    source: [gw('main.go: RunWorker processCompletion (tasksResolved, remainingTasks == 0)')],
    generations: CURRENT,
    rule: 'Applicable with numberOfTasksToRun > 0 and capacity > 1. Fails when more runs were claimed than numberOfTasksToRun, the worker exited 0 with fewer successful resolutions, or it did not exit 0 once that many were resolved.',
    check: c.tasksCompleteAcrossSlots,
  },
  {
    id: 'capacity.shutdown.sigterm-aborts-all',
    area,
    level: 'MUST',
    text: 'SIGTERM aborts every running task, each resolved exception/worker-shutdown, and the worker exits 72.',
    source: [
      gw('main.go: RunWorker (SIGTERM → graceful.Terminate(false))'),
      gw('abort_feature.go: AbortTaskFeature.Start'),
    ],
    generations: CURRENT,
    divergence:
      'generic-worker v106 resolves both tasks exception/worker-shutdown but then hangs: processCompletion of ' +
      'the first calls TaskManager.WaitForAll (main.go RunWorker), whose WaitGroup only RemoveTask releases, ' +
      'and RemoveTask for the second task only runs when that same blocked loop reads its completion. ' +
      'Measured 2026-12-02 (fixture capacity/shutdown/sigterm-aborts-all, killed at 90 s); at capacity 1 ' +
      'there is no second task and v106 exits 72. tc-worker waits for every run, then exits 72.',
  },
  {
    id: 'capacity.shutdown.sigint-finishes-all',
    area,
    level: 'MUST',
    text: 'SIGINT lets every running task finish and be resolved before the worker exits 71.',
    source: [gw('main.go: RunWorker (sigInterrupt → graceful.Terminate(true), WaitForAll, WORKER_STOPPED)')],
    generations: CURRENT,
    divergence:
      'generic-worker v106 lets the tasks finish and resolves them, then hangs in TaskManager.WaitForAll, ' +
      'called from the main loop that alone runs RemoveTask (main.go RunWorker, case <-sigInterrupt); the same ' +
      'deadlock generic-worker-runs/README.md records for worker/shutdown/sigint-finishes-task at capacity 1. ' +
      'Measured 2026-12-02 (fixture capacity/shutdown/sigint-finishes-all, killed at 90 s).',
  },
  {
    id: 'capacity.cancel.only-that-task',
    area,
    level: 'MUST',
    text: 'Cancelling one of several running tasks stops only that one; the others run on and are resolved.',
    source: [gw('main.go: RunWorker (per-task goroutine and reclaim loop)'), gw('abort_feature.go')],
    generations: CURRENT,
  },
  {
    id: 'capacity.mounts.cache-per-task',
    area,
    level: 'MUST',
    text:
      'Two tasks running at once that mount the same writable cache each get a directory of their own (neither ' +
      "sees the other's files) and both are resolved without a cache error.",
    source: [gw('mounts_feature.go: a pool of directories per cache name, trimPoolExcess (up to capacity)')],
    generations: CURRENT,
  },
  {
    id: 'capacity.ports.ranges-checked',
    area,
    level: 'MUST',
    text:
      'At start the worker checks the per-slot port ranges (4 ports per slot from each base port): ranges that ' +
      'overlap or pass 65535 make the config invalid (exit 73) with a message naming the ports.',
    source: [
      gw('gwconfig/config.go: Config.ValidatePortConfiguration'),
      gw('port_manager.go: PortManager.AllocatePorts'),
    ],
    generations: CURRENT,
  },
  {
    id: 'capacity.features.run-task-as-current-user-refused',
    area,
    level: 'MUST',
    text:
      'With capacity > 1 the worker refuses features.runTaskAsCurrentUser (exception/malformed-payload naming ' +
      'capacity): it would bypass per-task user isolation.',
    source: [gw('run_task_as_current_user_feature.go: RunTaskAsCurrentUserFeature.IsEnabled, DisabledReason')],
    generations: CURRENT,
    platforms: ['linux', 'darwin', 'windows'],
  },
];
