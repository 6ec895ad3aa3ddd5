// `tc-worker install service`: a run-tc-worker.bat next to the worker and the nssm commands of
// generic-worker's deployService (service under LocalSystem, auto start, log rotation).
import path from 'node:path';

export const DEFAULT_NSSM = 'C:\\nssm-2.24\\win64\\nssm.exe';
export const DEFAULT_SERVICE_NAME = 'Generic Worker';

export interface ServiceInput {
  /** Directory holding the worker and run-tc-worker.bat (the service's AppDirectory). */
  dir: string;
  /** Command line that runs the worker, e.g. `"C:\\tc\\node.exe" "C:\\tc\\bin\\tc-worker.js"`. */
  workerCommand: string;
  configFile: string;
  nssm?: string;
  serviceName?: string;
}

export function runWorkerBatScript(input: Pick<ServiceInput, 'workerCommand' | 'configFile'>): string {
  return [
    ':: Run tc-worker (generic-worker compatible)',
    '',
    ':: step inside folder containing this script',
    'pushd %~dp0',
    '',
    `${input.workerCommand} run --config "${input.configFile}" > .\\tc-worker.log 2>&1`,
    '',
    ':: Possible exit codes:',
    '::    0: all tasks completed   - only occurs when numberOfTasksToRun > 0',
    '::   67: rebooting             - system reboot has been triggered',
    '::   68: idle timeout          - system shutdown has been triggered if shutdownMachineOnIdle=true',
    '::   69: internal error        - system shutdown has been triggered if shutdownMachineOnInternalError=true',
    '',
  ].join('\r\n');
}

export function nssmCommands(input: ServiceInput): string[][] {
  const nssm = input.nssm ?? DEFAULT_NSSM;
  const name = input.serviceName ?? DEFAULT_SERVICE_NAME;
  const log = path.win32.join(input.dir, 'tc-worker-service.log');
  const set = (...args: string[]) => [nssm, 'set', name, ...args];
  return [
    [nssm, 'install', name, path.win32.join(input.dir, 'run-tc-worker.bat')],
    set('AppDirectory', input.dir),
    set('DisplayName', name),
    set('Description', 'A taskcluster worker that runs on all mainstream platforms'),
    set('Start', 'SERVICE_AUTO_START'),
    // LocalSystem (nssm's default) is needed to create users and read the interactive token.
    set('Type', 'SERVICE_WIN32_OWN_PROCESS'),
    set('AppPriority', 'NORMAL_PRIORITY_CLASS'),
    set('AppNoConsole', '1'),
    set('AppAffinity', 'All'),
    set('AppStopMethodSkip', '0'),
    set('AppStopMethodConsole', '1500'),
    set('AppStopMethodWindow', '1500'),
    set('AppStopMethodThreads', '1500'),
    set('AppThrottle', '1500'),
    set('AppExit', 'Default', 'Exit'),
    set('AppRestartDelay', '0'),
    set('AppStdout', log),
    set('AppStderr', log),
    set('AppStdoutCreationDisposition', '4'),
    set('AppStderrCreationDisposition', '4'),
    set('AppRotateFiles', '1'),
    set('AppRotateOnline', '1'),
    set('AppRotateSeconds', '3600'),
    set('AppRotateBytes', '0'),
  ];
}
