// The worker's process exit codes: generic-worker's table (generic-worker-behaviour.md §6.1), current meanings.
// One place, so `--help`, the CLI and the tests cannot drift apart.

export const ExitCode = {
  TASKS_COMPLETE: 0,
  USAGE: 1,
  CANT_LOAD_CONFIG: 64,
  CANT_INSTALL: 65,
  CANT_CREATE_OPENPGP_KEYPAIR: 66,
  REBOOT_REQUIRED: 67,
  IDLE_TIMEOUT: 68,
  INTERNAL_ERROR: 69,
  WORKER_MANAGER_SHUTDOWN: 70,
  WORKER_STOPPED: 71,
  WORKER_SHUTDOWN: 72,
  INVALID_CONFIG: 73,
  CANT_GRANT_CONTROL_OF_WINSTA_AND_DESKTOP: 74,
  CANT_SECURE_CONFIG: 77,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Code and meaning, in the order `--help` prints them. */
export const exitCodeTable: ReadonlyArray<[number, string]> = [
  [0, 'Tasks completed successfully; no more tasks to run (see config setting numberOfTasksToRun).'],
  [
    1,
    'Bad command-line usage (unknown target or option, missing argument); the message says which. generic-worker ' +
      "exits 1 the same way: its docopt parser's PrintHelpAndExit (main.go, docopt.ParseArgs).",
  ],
  [64, 'Not able to load the specified config file (missing, unreadable, or not valid JSON).'],
  [65, 'Not able to install the worker on the system (install service; Windows only).'],
  [66, 'Not able to create an OpenPGP (or ed25519) key pair.'],
  [
    67,
    'A task user has been created and the worker needs to reboot to log on as the new task user ' +
      '(the reboot happens unless config setting disableReboots is true; the exit code is issued in either case).',
  ],
  [68, 'The worker hit its idle timeout (see config settings idleTimeoutSecs and shutdownMachineOnIdle).'],
  [
    69,
    'Internal error: a worker bug, or the environment cannot run tasks (e.g. a required file cannot be written). ' +
      'See config setting shutdownMachineOnInternalError.',
  ],
  [
    70,
    'The worker was told to shut down by its manager: worker-manager (shouldWorkerTerminate) said so ' +
      '(generic-worker 11.0.1: a new AWS deploymentId was issued).',
  ],
  [71, 'The worker was interrupted (SIGINT, e.g. Ctrl-C): it stopped claiming and finished its running tasks.'],
  [
    72,
    'The worker was told to shut down (SIGTERM, or worker-runner graceful-termination): running tasks were resolved ' +
      'exception/worker-shutdown (or, with finish-tasks true, finished first).',
  ],
  [73, 'The config provided to the worker is invalid (the message names the property).'],
  [74, 'Could not grant the provided SID full control of interactive window stations and desktop (Windows only).'],
  [
    77,
    'Not able to make the config file (or a private key file it names) unreadable by task users ' +
      '(runTasksAsCurrentUser: false); the message names the file. generic-worker multiuser: CANT_SECURE_CONFIG.',
  ],
];

/** An error that ends the process with a given exit code. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}
