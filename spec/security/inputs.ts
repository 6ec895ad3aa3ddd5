// security.secrets.*: what any worker (sandbox or not) holds to whatever a task prints or makes fail.
// Issue 10's secrets class: "34 secrets never found in any log or artifact". Its bad-input class (item 9:
// NUL in env, non-ASCII artifact names) is judged by payload.env.no-nul and artifacts.name.printable.
import { BOTH, gw, gwb, q, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'security';
const ISSUE = 'issue 10: Sandbox and worker hardening (secrets and bad input)';

export const statements: Statement[] = [
  {
    id: 'security.secrets.not-in-task-env',
    area,
    level: 'MUST',
    text: "A task's environment holds none of the worker's secrets (access token, temporary credentials, live-log secret, signing keys): a task that prints its whole environment shows none.",
    source: [ISSUE, q(16), gwb('2.4'), gw('insecure.go')],
    generations: BOTH,
  },
  {
    id: 'security.secrets.not-in-error-messages',
    area,
    level: 'MUST',
    text: "When a Queue call fails, the worker's report of it (task log, worker output) shows no credentials: neither the Hawk header nor the temporary access token.",
    source: [ISSUE, tc('clients/client-go (request errors)'), gw('artifacts.go TaskRun.classifyCreateArtifactError')],
    generations: BOTH,
  },
];
