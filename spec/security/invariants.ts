// security.invariant.*: what every security and faults case is judged by, whatever it is about
// (conformance/invariants.ts adds them to each such case). Issue 10, "The catalogues in the kit".
import { BOTH, gw, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './invariants.check.ts';

const area = 'security';
const ISSUE = 'issue 10: Sandbox and worker hardening, and security and fault catalogues (runner invariants)';

export const statements: Statement[] = [
  {
    id: 'security.invariant.resolved-once',
    area,
    level: 'MUST',
    text: 'Every run a worker claims ends resolved exactly once: by one successful report of its worker, or by the Queue (claim-expired, deadline-exceeded, canceled) where the worker could not; never twice, never left running.',
    source: [
      ISSUE,
      tc('services/queue/src/api.js reportCompleted/reportFailed/reportException'),
      gw('main.go RunWorker, TaskRun.resolve'),
    ],
    generations: BOTH,
    check: c.resolvedOnce,
  },
  {
    id: 'security.invariant.no-leftover-process',
    area,
    level: 'MUST',
    text: "Nothing a task started is still running when its worker has exited: no process with the task's TASK_ID in its environment, and no process whose pid a task wrote as a marker.",
    source: [ISSUE, gw('process/posix.go Command.Kill'), gw('main.go TaskRun.kill'), gw('multiuser.go purgeOldTasks')],
    generations: BOTH,
    check: c.noLeftoverProcess,
  },
  {
    id: 'security.invariant.nothing-outside-task-dir',
    area,
    level: 'MUST',
    text: 'Nothing a task names is written outside its task directory and caches (the runner looks for tc-kit-escape* entries), and the root-owned files the runner planted are neither changed, replaced, nor removed.',
    source: [ISSUE, gw('artifact_feature.go resolve, canonicalPath'), gw('mounts_feature.go TaskMount.Start')],
    generations: BOTH,
    check: c.nothingOutside,
  },
  {
    id: 'security.invariant.no-secret-leak',
    area,
    level: 'MUST',
    text: "No secret appears in the worker's output, any task log, the live log or any artifact: the worker's access token and other configured secrets, every run's temporary tokens, signing key material, nor the root-only sentinel file.",
    source: [
      ISSUE,
      gw('main.go RunWorker (the config it logs leaves out secret fields)'),
      tc('services/queue/src/api.js claimWork (temporary credentials)'),
    ],
    generations: BOTH,
    check: c.noSecretLeak,
  },
];
