// security.sandbox.*: attacks a task running as its own OS user (runTasksAsCurrentUser false, worker as
// root) makes on the worker — the classes issue 10 tried, those that broke and those that held. Each
// case is judged by its expect block and the runner invariants (spec/security/invariants.ts): the
// root-only sentinel never shows up, the root-owned victims never change, nothing escapes.
import { CURRENT, gw, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'security';
const ISSUE = (item: string) => `issue 10: Sandbox and worker hardening, ${item}`;
const SANDBOX =
  'generic-worker 11.0.1 had no Linux sandbox; these bind the multiuser engine of current generic-worker.';

const s = (id: string, text: string, source: string[]): Statement => ({
  id: `security.sandbox.${id}`,
  area,
  level: 'MUST',
  text,
  source,
  generations: CURRENT,
  platforms: ['linux'],
  divergence: SANDBOX,
});

export const statements: Statement[] = [
  s(
    'env-after-privilege-drop',
    "The payload's environment (LD_PRELOAD, LD_DEBUG_OUTPUT, …) applies only after the switch to the task user: no process running with the worker's privileges sees it.",
    [ISSUE('item 1 (critical)'), gw('process/posix.go NewCommand'), gw('multiuser_posix.go')],
  ),
  s(
    'log-not-redirectable',
    'A task that replaces the directory of its backing log with one holding a symlink does not make the worker upload, as public/logs/live_backing.log, any file the task user cannot read.',
    [ISSUE('item 2 (critical)'), gw('backing_log_feature.go'), gw('artifacts.go TaskRun.uploadLog')],
  ),
  s(
    'live-log-not-redirectable',
    'The same swap while the live log is read does not make the worker serve a file the task user cannot read.',
    [ISSUE('item 2 (critical)'), gw('livelog_feature.go')],
  ),
  s(
    'cot-no-write-through-links',
    'The worker writes its chain-of-trust files through no link the task planted: a root-owned file the links point at is unchanged.',
    [ISSUE('item 2 (critical)'), gw('chain_of_trust_feature.go')],
  ),
  s(
    'artifact-read-as-task-user',
    "A file artifact is read with the task user's permissions, in one act: a path, a symlink or a file swapped for a symlink during upload never yields the content of a file the task user cannot read.",
    [ISSUE('item 3 (critical)'), gw('artifact_feature.go resolve'), gw('artifacts.go copyToTempFileAsTaskUser')],
  ),
  s(
    'mount-as-task-user',
    'Mounts are created as the task user: a mount target (file, cache or read-only directory, relative with .. or absolute) where the task user cannot write fails the task and writes nothing there.',
    [
      gw('mounts_feature.go FileMount.Mount'),
      gw('generated_multiuser_linux.go FileMount.File ("created as the task user")'),
    ],
  ),
  s(
    'archive-entries-contained',
    'Read-only directory archives (zip, tar.gz) are unpacked inside their mount only: entries named with .., absolute entries, and symlink or hardlink entries pointing outside write nothing outside it.',
    [
      gw('mounts_feature.go ReadOnlyDirectory.Mount'),
      ISSUE('held: zip-slip, tar symlink / hardlink / absolute entries'),
    ],
  ),
  s(
    'cache-symlink-not-followed',
    'A writable cache that a task replaced with a symlink is not followed when it is handed to the next task: the directory it points at is neither chowned nor written.',
    [gw('mounts_feature.go WritableDirectoryCache.Mount'), ISSUE('attack A6')],
  ),
  s(
    'os-group-not-an-option',
    'An osGroups name that looks like a command-line option never reaches a tool running as root; the task resolves exception/malformed-payload.',
    [gw('os_groups_multiuser_linux.go'), ISSUE('attack A7')],
  ),
  s(
    'config-not-readable',
    "The task user cannot read the worker's config file (its permanent accessToken) nor its signing keys, even when they were world-readable when the worker started.",
    [ISSUE('item 4 (high)'), gw('ed25519_multiuser.go'), gw('chain_of_trust_posix.go')],
  ),
  s(
    'root-files-unreadable',
    "The task user cannot read a root-only file, nor the environment or memory of the worker's processes (/proc/<pid>/environ).",
    [gwb('2.4'), gw('multiuser_posix.go')],
  ),
  s(
    'worker-not-signalable',
    'The task user cannot signal the worker: `kill -KILL -1` ends only its own processes, and the worker resolves the task.',
    [gwb('2.4'), gw('multiuser_posix.go')],
  ),
  s(
    'reserved-env-not-overridden',
    'TASK_ID, RUN_ID, TASK_WORKDIR, TASK_GROUP_ID and TASKCLUSTER_ROOT_URL in the payload env do not override the values the worker sets.',
    [
      gw(
        'generated_multiuser_linux.go payload env ("may not be overridden by environment variables in the task payload")',
      ),
    ],
  ),
  s(
    'cleanup-despite-permissions',
    'Files the task made unremovable for itself (chmod 000 directories) do not stop the worker from removing the task directory and serving the next task.',
    [gw('multiuser.go purgeOldTasks'), gw('main.go deleteTaskDirs'), ISSUE('held: chmod 000 in cleanup')],
  ),
];
