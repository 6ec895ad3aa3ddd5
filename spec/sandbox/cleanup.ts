// sandbox.*: the multiuser engine on Linux (runTasksAsCurrentUser: false) — a fresh OS user per
// task, and nothing of it left once the task is resolved.
import { CURRENT, gw, gwb, seed } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './cleanup.check.ts';

const area = 'sandbox';
const DIVERGENCE =
  'generic-worker 11.0.1 had no sandbox outside Windows (seed "Sandboxing → Linux": "use at your own risk"; runTasksAsCurrentUser: false exits 73 there). Current generic-worker\'s multiuser engine creates a task user per task (headless) and purges it afterwards, which wins here.';

export const statements: Statement[] = [
  {
    id: 'sandbox.task-user.fresh-user',
    area,
    level: 'MUST',
    text: 'With runTasksAsCurrentUser false, every task runs as its own new task_* OS user (not root, not the worker user) whose HOME is its own home.',
    source: [gwb('2.4'), gwb('2.5'), gw('multiuser_posix.go'), seed('Sandboxing')],
    generations: CURRENT,
    platforms: ['linux'],
    divergence: DIVERGENCE,
    check: c.freshTaskUser,
  },
  {
    id: 'sandbox.cleanup.user-deleted',
    area,
    level: 'MUST',
    text: 'After a task, its task user no longer exists.',
    source: [gwb('2.5'), seed('Sandboxing → Task user lifecycle')],
    generations: CURRENT,
    platforms: ['linux'],
    check: c.userDeleted,
  },
  {
    id: 'sandbox.cleanup.processes-killed',
    area,
    level: 'MUST',
    text: 'After a task, no process of its task user runs, including ones that left the process group (double fork) or ignore SIGTERM.',
    source: [gwb('2.6'), seed('Sandboxing → Task user lifecycle')],
    generations: CURRENT,
    platforms: ['linux'],
    check: c.processesKilled,
  },
  {
    id: 'sandbox.cleanup.files-removed',
    area,
    level: 'MUST',
    text: "After a task, the task user's home, its task directory (with cleanUpTaskDirs) and its files in /tmp are gone.",
    source: [gwb('2.5'), seed('Sandboxing → Windows')],
    generations: CURRENT,
    platforms: ['linux'],
    check: c.filesRemoved,
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
