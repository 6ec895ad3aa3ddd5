// task.faults.*: tasks that misbehave in ways a worker must survive (issue 10's faults).
import { BOTH, CURRENT, gw } from '../lib/sources.ts';
import { verdict } from '../lib/observe.ts';
import type { Checker, Statement } from '../types.ts';

const BACKING_LOG = 'public/logs/live_backing.log';
/** What faults/task/large-log writes: 32 MiB of text (its newlines on top). */
const LARGE_LOG_BYTES = 32 * 1024 * 1024;

/** Every task's backing log arrived whole: at least the bytes its task wrote (the runner keeps only 4 MiB of a body). */
const largeLogUploaded: Checker = (obs) => {
  const logs = Object.entries(obs.tasks).map(
    ([id, t]) => [id, t.artifacts.find((a) => a.name === BACKING_LOG)] as const,
  );
  if (logs.length === 0) return null;
  return verdict(
    logs
      .filter(([, a]) => (a?.size ?? 0) < LARGE_LOG_BYTES)
      .map(
        ([id, a]) =>
          `task ${id}: backing log ${a ? `has ${a.size ?? 'unknown'} bytes` : 'missing'}, under ${LARGE_LOG_BYTES}`,
      ),
    `backing log(s) of at least ${LARGE_LOG_BYTES} bytes uploaded`,
  );
};

const area = 'task';
const ISSUE = 'issue 10: faults injected around a running worker';

export const statements: Statement[] = [
  {
    id: 'task.faults.no-process-after-resolution',
    area,
    level: 'MUST',
    text: 'Processes a task left running (nohup, setsid, double fork) are gone when its run is resolved.',
    source: [`${ISSUE}, item 5`, gw('process/posix.go Command.Kill'), gw('main.go TaskRun.kill')],
    generations: BOTH,
  },
  {
    id: 'task.faults.escapee-without-task-env',
    area,
    level: 'SHOULD',
    text: 'A task process that dropped its environment and session (env -i setsid) is gone when its run is resolved too; a worker tracks it by cgroup where it can (Linux, cgroup v2 writable).',
    source: [`${ISSUE}, item 5`, 'decisions/0003-worker-hardening.md (cgroup tracking)'],
    generations: BOTH,
    divergence:
      'generic-worker kills the process group of each command (process/posix.go Command.Kill) and, in the multiuser engine, every process of the task user; in current-user mode a process that left the group with a clean environment survives it.',
  },
  {
    id: 'task.faults.bad-output-survived',
    area,
    level: 'MUST',
    text: 'A task that closes its stdout and stderr early, writes invalid UTF-8 or writes as fast as it can ends by its exit code, and its log keeps everything else it wrote.',
    source: [ISSUE, gw('logging.go'), gw('backing_log_feature.go')],
    generations: BOTH,
  },
  {
    id: 'task.faults.large-log-uploaded',
    area,
    level: 'MUST',
    text: 'A log of tens of MiB is uploaded whole as the backing log.',
    source: [`${ISSUE} (a 1 GiB log, peak 196 MiB)`, gw('artifacts.go TaskRun.uploadLog')],
    generations: BOTH,
    check: largeLogUploaded,
  },
  {
    id: 'task.faults.disk-full-resolves',
    area,
    level: 'MUST',
    text: 'When the tasks directory runs out of space, the task resolves (failed or exception) with "no space left on device" in its log, and the worker serves the next task.',
    source: [`${ISSUE}, item 6`, gw('diskspace_posix.go'), gw('main.go RunWorker')],
    generations: CURRENT,
  },
];
