// worker-runner.*: the runner/worker protocol a worker speaks when worker-runner starts it
// (`run --with-worker-runner`): taskcluster v106 tools/workerproto and generic-worker's workerrunner.go.
import { CURRENT, gw, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './protocol.check.ts';

const area = 'worker-runner';
const proto = (f: string) => tc(`tools/workerproto/${f}`);

export const statements: Statement[] = [
  {
    id: 'worker-runner.protocol.silent-until-welcome',
    area,
    level: 'MUST',
    text:
      'Started with --with-worker-runner, the worker writes nothing on stdout before the runner has sent ' +
      'welcome: its log waits until the capabilities are known.',
    source: [
      gw('workerrunner.go: loggingWriter.Write (Capable waits for initialisation)'),
      proto('protocol.go: Protocol.Capable, WaitUntilInitialized'),
    ],
    generations: CURRENT,
    rule: 'Reads obs.workerRunner. Fails when the worker exited before welcome was sent, or wrote anything but whitespace on stdout before it.',
    check: c.silentUntilWelcome,
  },
  {
    id: 'worker-runner.protocol.hello',
    area,
    level: 'MUST',
    text:
      'The worker answers welcome with exactly one hello, its first message, whose capabilities property is ' +
      'a list of capability names.',
    source: [proto('README.md: Initialization and Capability Negotiation'), proto('protocol.go: Protocol.Start')],
    generations: CURRENT,
    rule: 'Reads the worker’s protocol messages (obs.workerRunner.messages). Fails when there are none, the first is not hello, there is not exactly one hello, or its capabilities is not a list of strings.',
    check: c.hello,
  },
  {
    id: 'worker-runner.protocol.hello-subset',
    area,
    level: 'SHOULD',
    text: "hello lists only capabilities the runner's welcome offered (a subset of them).",
    source: [proto('README.md: Initialization and Capability Negotiation'), proto('protocol.go: Protocol.Start')],
    generations: CURRENT,
    divergence:
      'The README says hello carries "a subset of that provided by start-worker"; protocol.go Protocol.Start ' +
      '(asWorker) answers with every local capability whatever welcome offered, and both ends then use only ' +
      'the intersection (Protocol.Capable checks local and remote). The README wins for the kit: it is the ' +
      'documented contract and a subset is what the runner can rely on; generic-worker v106 is baselined.',
    rule: 'Fails when hello lists a capability the runner’s welcome (obs.workerRunner.offered) did not.',
    check: c.helloSubset,
  },
  {
    id: 'worker-runner.protocol.negotiated-only',
    area,
    level: 'MUST',
    text:
      'After hello the worker sends only messages of capabilities both welcome and hello list (log, ' +
      'error-report, shutdown…), never one the runner did not offer.',
    source: [proto('README.md: Initialization and Capability Negotiation'), gw('workerrunner.go: loggingWriter.Write')],
    generations: CURRENT,
    rule: 'Negotiated = capabilities in both welcome and hello. Fails when the worker sent a message other than hello whose type is not negotiated.',
    check: c.negotiatedOnly,
  },
  {
    id: 'worker-runner.log.as-messages',
    area,
    level: 'MUST',
    text:
      "With log negotiated, the worker's own log goes to the runner as log messages whose body is an object " +
      'with the line as textPayload.',
    source: [proto('README.md: log'), gw('workerrunner.go: loggingWriter.Write')],
    generations: CURRENT,
    rule: 'Applicable when log is negotiated. Fails when the worker sent no log message, or one whose body is not an object with a string textPayload.',
    check: c.logAsMessages,
  },
  {
    id: 'worker-runner.log.stderr-without-capability',
    area,
    level: 'MUST',
    text: 'Without log negotiated the worker sends no log message; its log goes to stderr as without worker-runner.',
    source: [gw('workerrunner.go: loggingWriter.Write (backup logger on stderr)')],
    generations: CURRENT,
    rule: 'Applicable after hello when log is not negotiated. Fails when the worker sent a log message, or wrote nothing to stderr.',
    check: c.logToStderr,
  },
  {
    id: 'worker-runner.credentials.renewed-for-worker-calls',
    area,
    level: 'MUST',
    text:
      "After new-credentials, the worker's own calls (claimWork, shouldWorkerTerminate) are signed with the " +
      'new client, not the one in its config.',
    source: [
      proto('README.md: new-credentials'),
      gw('workerrunner.go: startProtocol (new-credentials → config.UpdateCredentials)'),
      gw('main.go: ClaimWork, checkWhetherToTerminate (config.Credentials())'),
    ],
    generations: CURRENT,
    rule: 'Applicable once new-credentials was sent. claimWork and shouldWorkerTerminate calls starting more than 1.5 s after it must be signed by obs.workerRunner.renewedClientId; fails when there is none to judge or one is signed otherwise.',
    check: c.renewedForWorkerCalls,
  },
  {
    id: 'worker-runner.credentials.task-calls-unchanged',
    area,
    level: 'MUST',
    text:
      "Task calls (reclaimTask, artifacts, resolution) keep using the run's temporary credentials; neither " +
      "the runner's client nor the renewed one signs them.",
    source: [
      proto('README.md: new-credentials ("not related to a task")'),
      gw('main.go: ClaimWork (per-task queue client)'),
    ],
    generations: CURRENT,
    rule: 'Fails when a reclaimTask, resolution or artifact call is signed by the runner’s client or the renewed one.',
    check: c.taskCallsUnchanged,
  },
  {
    id: 'worker-runner.graceful-termination.finish-tasks',
    area,
    level: 'MUST',
    text:
      'graceful-termination with finish-tasks true: the worker stops claiming, lets the running task finish ' +
      'and be resolved, then exits 72.',
    source: [
      proto('README.md: graceful-termination'),
      gw('workerrunner.go: startProtocol (graceful.Terminate(finishTasks))'),
      gw('main.go: RunWorker (TerminationRequested → WORKER_SHUTDOWN)'),
    ],
    generations: CURRENT,
    divergence:
      'generic-worker v106 hangs: the main loop sees TerminationRequested while the task runs and calls ' +
      'TaskManager.WaitForAll (main.go RunWorker), a WaitGroup that only RemoveTask releases, which only ' +
      'processCompletion calls from that same blocked loop; the task is resolved completed but the worker ' +
      'never exits (measured 2026-12-02, fixture worker-runner/graceful-termination/finish-tasks, killed at ' +
      '90 s). This is the hang the issue warns of; the kit keeps the documented behaviour (README: the worker ' +
      'may finish its tasks), tc-worker implements it, and v106 is baselined.',
    rule: 'Applicable once graceful-termination was sent. Fails when a claimWork call starts more than 1.5 s after it.',
    check: c.noClaimAfterTermination,
  },
  {
    id: 'worker-runner.graceful-termination.abort-tasks',
    area,
    level: 'MUST',
    text:
      'graceful-termination with finish-tasks false: the running task is aborted and resolved ' +
      'exception/worker-shutdown, and the worker exits 72 without claiming again.',
    source: [
      proto('README.md: graceful-termination'),
      gw('abort_feature.go: AbortTaskFeature.Start'),
      gw('main.go: RunWorker (TerminationRequested → WORKER_SHUTDOWN)'),
    ],
    generations: CURRENT,
    rule: 'Applicable once graceful-termination was sent. Fails when a claimWork call starts more than 1.5 s after it.',
    check: c.noClaimAfterTermination,
  },
  {
    id: 'worker-runner.shutdown.worker-manager-terminate',
    area,
    level: 'MUST',
    text:
      'When worker-manager answers shouldWorkerTerminate with terminate true, the worker sends shutdown ' +
      '(negotiated) instead of shutting the machine down itself, and exits 70.',
    source: [
      proto('README.md: shutdown'),
      gw('main.go: RunWorker (checkWhetherToTerminate each pass) and run (shutdownWorker on WORKER_MANAGER_SHUTDOWN)'),
    ],
    generations: CURRENT,
    rule: 'Applicable when shutdownWorkerTerminate answered terminate: true and shutdown is negotiated. Fails when the worker sent no shutdown message.',
    check: c.shutdownOnTerminate,
  },
  {
    id: 'worker-runner.idle.asks-worker-manager',
    area,
    level: 'MUST',
    text:
      'Under worker-runner, reaching idleTimeoutSecs does not end the worker while worker-manager still ' +
      'answers terminate false: it resets its idle timer and keeps claiming; told to terminate, it exits (68 or 70).',
    source: [
      gw('main.go: RunWorker (idle: !withWorkerRunner || checkWhetherToTerminate)'),
      gw('usage.go: idleTimeoutSecs'),
    ],
    generations: CURRENT,
    rule: 'Applicable with idleTimeoutSecs > 0. Fails when worker-manager never answered terminate: false, the worker exited 68 with no terminate: true answer, it was last told false before the idle timeout had passed, or it made no claimWork after the idle timeout.',
    check: c.idleKeepsServing,
  },
  {
    id: 'worker-runner.tasks-complete.asks-worker-manager',
    area,
    level: 'SHOULD',
    text:
      'Under worker-runner, after numberOfTasksToRun tasks the worker asks worker-manager once more before ' +
      'exiting: exit 0 when it answers terminate false.',
    source: [gw('main.go: RunWorker processCompletion (checkWhetherToTerminate after the last task)')],
    generations: CURRENT,
    rule: 'Applicable after a resolution. Fails when no shouldWorkerTerminate call follows the last resolution.',
    check: c.askedAfterLastTask,
  },
  {
    id: 'worker-runner.config.runner-keys',
    area,
    level: 'MUST',
    text:
      'The config worker-runner writes loads: its keys (workerLocation as a JSON string, provider metadata in ' +
      'workerTypeMetadata, publicIP, instanceID…) are accepted and tasks run.',
    source: [tc('tools/worker-runner/worker/genericworker/genericworker.go: ConfigureRun')],
    generations: CURRENT,
  },
  {
    id: 'worker-runner.error-report.fatal',
    area,
    level: 'SHOULD',
    text:
      'A worker that cannot start (e.g. its config cannot be loaded) sends an error-report (negotiated) with a ' +
      'description before it exits with its exit code.',
    source: [
      tc('workers/generic-worker/errorreport/errorreport.go: Send'),
      gw('main.go: exitOnError'),
      proto('README.md: error-report'),
    ],
    generations: CURRENT,
    rule: 'Applicable when error-report is negotiated. Fails when the worker sent no error-report, or one without a non-empty description.',
    check: c.errorReport,
  },
];
