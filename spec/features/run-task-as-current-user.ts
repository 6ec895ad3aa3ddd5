// features.run-task-as-current-user.*: the multiuser engine's escape hatch to the worker's own user
// (run_task_as_current_user_feature.go, run_task_as_current_user_posix.go).
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'features';
const feature = gw('run_task_as_current_user_feature.go');
const posix = gw('run_task_as_current_user_posix.go (platformSpecificActions)');

export const statements: Statement[] = [
  {
    id: 'features.run-task-as-current-user.runs-as-worker',
    area,
    level: 'MUST',
    text: "With per-task users, config enableRunTaskAsCurrentUser and the scope generic-worker:run-task-as-current-user:<provisionerId>/<workerType>, features.runTaskAsCurrentUser runs the commands as the worker's own user.",
    source: [feature, posix, gw('multiuser_test.go (TestWhoAmIAsCurrentUser)')],
    generations: CURRENT,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'features.run-task-as-current-user.credentials-file',
    area,
    level: 'SHOULD',
    text: "Running as the worker's user, the task still gets its task user: TASK_USER_CREDENTIALS names <task dir>/task-user-credentials.json, readable only by the worker's user, holding the task user's name.",
    source: [posix, gw('multiuser_test.go (TestTaskUserCredentialsEnvVarIsWrittenAsCurrentUser)')],
    generations: CURRENT,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'features.run-task-as-current-user.scope-required',
    area,
    level: 'MUST',
    text: 'features.runTaskAsCurrentUser without the scope generic-worker:run-task-as-current-user:<provisionerId>/<workerType> resolves malformed-payload, and the log names the scope.',
    source: [feature, gw('main.go (validateScopes)')],
    generations: CURRENT,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'features.run-task-as-current-user.xdg-runtime-dir-removed',
    area,
    level: 'SHOULD',
    text: "On Linux, running as the worker's user removes XDG_RUNTIME_DIR from the commands' environment (it names the task user's session).",
    source: [posix, gw('multiuser_linux_test.go (TestXDGRuntimeDirEnvVarIsRemovedAsCurrentUser)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.run-task-as-current-user.os-groups-skipped',
    area,
    level: 'SHOULD',
    text: 'With features.runTaskAsCurrentUser, osGroups (scopes still required) are not given to the task user, who runs nothing: the log says "Not adding task user to group(s) [<groups>] since we are running as current user."',
    source: [gw('os_groups_multiuser.go'), gw('os_groups_multiuser_test.go (TestOSGroupsRespectedAsCurrentUser)')],
    generations: CURRENT,
    platforms: ['linux', 'darwin'],
  },
  {
    id: 'features.run-task-as-current-user.needs-task-users',
    area,
    level: 'MUST',
    text: "A worker whose tasks already run as its own user (generic-worker's insecure engine) refuses features.runTaskAsCurrentUser as malformed-payload.",
    source: [feature, gw('generated_insecure_linux.go (features has no runTaskAsCurrentUser)')],
    generations: CURRENT,
    divergence:
      "v106's insecure payload schema has no runTaskAsCurrentUser, so the refusal is a schema error; tc-worker's schema has the key and refuses it as a feature that is not enabled. Both resolve malformed-payload. With the value false the insecure v106 still refuses the payload (additional property) where tc-worker runs it, as chainOfTrust (the differential run, class gw-insecure-engine-features).",
  },
];
