// sandbox.*: the OS-user sandbox on Linux (generic-worker's multiuser engine; the profile's os-users
// config) — a fresh OS user per task, and what is left of it after the task.
import { CURRENT, gw, gwb, seed } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './cleanup.check.ts';

const area = 'sandbox';
const DIVERGENCE =
  'generic-worker 11.0.1 had no sandbox outside Windows (seed "Sandboxing → Linux": "use at your own risk"; runTasksAsCurrentUser: false exits 73 there). Current generic-worker\'s multiuser engine creates a task user per task (headless) and purges it at a later sweep, which wins here.';
const SWEEP =
  "generic-worker v106 deletes task users (userdel --force -r), homes and task directories in purgeOldTasks (multiuser.go), only with cleanUpTaskDirs, skipping the current task context's user; RunWorker (main.go) runs it after a later task's completion, at idle timeout and at start-up. The case runs two tasks and judges the first here; the last is sandbox.cleanup.before-exit.";

export const statements: Statement[] = [
  {
    id: 'sandbox.task-user.fresh-user',
    area,
    level: 'MUST',
    text: "With the OS-user sandbox on, every task runs as its own new task_* OS user (not root, not the worker's user) whose HOME is its own home.",
    source: [gwb('2.4'), gwb('2.5'), gw('multiuser.go'), gw('multiuser_posix.go'), seed('Sandboxing')],
    generations: CURRENT,
    platforms: ['linux'],
    divergence: `${DIVERGENCE} How the sandbox is switched on is the worker's own: generic-worker v106 has no runTasksAsCurrentUser key (gwconfig rejects it, exit 64); it is the multiuser build with headlessTasks, and a task may opt out with the runTaskAsCurrentUser payload feature. The case requires os-users, and the profile says how its worker meets it (configForRequires).`,
    check: c.freshTaskUser,
  },
  {
    id: 'sandbox.cleanup.user-deleted',
    area,
    level: 'MUST',
    text: "With cleanUpTaskDirs (the default), a task user is deleted no later than the worker's next cleanup sweep after its task: when a later task completes, at idle timeout, or when the worker starts again.",
    source: [gw('multiuser.go'), gw('main.go'), gw('runtime/runtime_linux.go'), gwb('2.5')],
    generations: CURRENT,
    platforms: ['linux'],
    divergence: SWEEP,
    check: c.userDeleted,
  },
  {
    id: 'sandbox.cleanup.files-removed',
    area,
    level: 'MUST',
    text: "With cleanUpTaskDirs (the default), a task user's home and its task directory are removed no later than the worker's next cleanup sweep after its task.",
    source: [gw('multiuser.go'), gw('runtime/runtime_linux.go'), gwb('2.5')],
    generations: CURRENT,
    platforms: ['linux'],
    divergence: SWEEP,
    check: c.filesRemoved,
  },
  {
    id: 'sandbox.cleanup.before-exit',
    area,
    level: 'SHOULD',
    text: "With cleanUpTaskDirs (the default), every task user is deleted with its home and task directory before the worker exits, the last task's included.",
    source: [gwb('2.5'), seed('Sandboxing → Task user lifecycle'), gw('main.go')],
    generations: CURRENT,
    platforms: ['linux'],
    divergence:
      "generic-worker v106 exits after numberOfTasksToRun (main.go RunWorker, checkWhetherToTerminate) right after a purgeOldTasks that skips the current task context's user, so the last task user, its home and task directory survive the worker until it next starts. tc-worker deletes each task user as soon as its task is resolved; the kit asks that at SHOULD level.",
    check: c.deletedBeforeExit,
  },
  {
    id: 'sandbox.cleanup.processes-killed',
    area,
    level: 'SHOULD',
    text: 'After a task, no process of its task user runs, including ones that left the process group (double fork) or ignore SIGTERM.',
    source: [gwb('2.6'), seed('Sandboxing → Task user lifecycle'), gw('process/posix.go'), gw('process/process.go')],
    generations: CURRENT,
    platforms: ['linux'],
    divergence:
      "generic-worker v106 on Linux kills only the command's process group, and only when it aborts the command (process/posix.go (*Command).Kill: syscall.Kill(-pid, SIGKILL)); after a normal exit it kills nothing, and userdel --force (runtime/runtime_linux.go DeleteUser) ends no process, so a setsid escapee that ignores SIGTERM outlives its task. The seed's lifecycle is the Windows one, where logoff and reboot end every process. tc-worker kills every process of the task user; the kit asks that at SHOULD level.",
    check: c.processesKilled,
  },
  {
    id: 'sandbox.cleanup.tmp-files-removed',
    area,
    level: 'SHOULD',
    text: 'After a task, the files its task user left outside its home and task directory (in /tmp) are gone.',
    source: [gwb('2.5'), seed('Sandboxing → Windows'), gw('runtime/runtime_linux.go')],
    generations: CURRENT,
    platforms: ['linux'],
    divergence:
      "generic-worker v106 on Linux removes only the home (userdel --force -r: home and mail spool, runtime/runtime_linux.go DeleteUser) and task directories (multiuser.go purgeOldTasks); nothing removes a task user's files in /tmp (only the darwin runtime deletes files of the user under /private/var/folders). The seed says so for Windows and warns that the worker cannot prevent writes to world-writable places. tc-worker removes them; the kit asks that at SHOULD level.",
    check: c.tmpFilesRemoved,
  },
  {
    id: 'sandbox.os-groups.supplementary',
    area,
    level: 'MUST',
    text: "With the sandbox on, the task user's commands run with every osGroups group as a supplementary group.",
    source: [gw('os_groups_multiuser.go'), gwb('1.2')],
    generations: CURRENT,
    platforms: ['linux'],
    check: c.groupsApplied,
  },
  {
    id: 'sandbox.os-groups.unknown-group',
    area,
    level: 'MUST',
    text: 'With the sandbox on, an osGroups entry naming a group the host does not have resolves the task exception/malformed-payload.',
    source: [gw('os_groups_multiuser.go'), gwb('1.2')],
    generations: CURRENT,
    platforms: ['linux'],
    check: c.unknownGroupMalformed,
  },
];
