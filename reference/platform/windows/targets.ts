// CLI targets backed by the platforms: `install service` and `grant-winsta-access` (Windows) and
// `launch-agent-plist` (macOS). With --dry-run the Windows targets run against the recording
// runner and print, one JSON line each, exactly the commands and files they would execute and
// write — on any OS, which is how they are checked end to end on Linux.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandRunner } from '../../sandbox/command-runner.ts';
import { type LaunchAgentConfigInput, launchAgentConfig, launchAgentPlist } from '../darwin.ts';
import type { OsName } from '../platform.ts';
import { RecordingRunner } from '../recording.ts';
import { WindowsPlatform } from '../windows.ts';
import { validateSid } from './winsta.ts';

export interface TargetResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const KIT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(KIT_ROOT, 'bin', 'tc-worker.js');

function recorded(runner: RecordingRunner): string {
  return runner.calls
    .map((c) => JSON.stringify(c.kind === 'write' ? { write: c.path, content: c.content } : { [c.kind]: c.argv }))
    .join('\n');
}

function windowsPlatform(dryRun: boolean): { platform: WindowsPlatform; recorder?: RecordingRunner } {
  if (!dryRun) return { platform: new WindowsPlatform() };
  const recorder = new RecordingRunner();
  return {
    platform: new WindowsPlatform({ runner: recorder as CommandRunner, helperDir: 'C:\\tc-worker\\helpers' }),
    recorder,
  };
}

export async function installServiceTarget(o: {
  what: string;
  nssm: string;
  serviceName: string;
  config: string;
  dryRun: boolean;
  os: OsName;
}): Promise<TargetResult> {
  const fail = (why: string): TargetResult => ({
    exitCode: 65,
    stdout: '',
    stderr: `Not able to install the worker: ${why}`,
  });
  if (o.what !== 'service') return fail(`unknown install target ${JSON.stringify(o.what)} - only 'service' is allowed`);
  if (o.os !== 'windows' && !o.dryRun) return fail('only supported on Windows (--dry-run shows what would run)');
  const { platform, recorder } = windowsPlatform(o.dryRun);
  try {
    await platform.installService({
      dir: KIT_ROOT,
      workerCommand: `"${process.execPath}" "${BIN}"`,
      configFile: path.resolve(o.config),
      nssm: o.nssm,
      serviceName: o.serviceName,
    });
  } catch (e) {
    return fail((e as Error).message);
  }
  return {
    exitCode: 0,
    stdout: recorder ? recorded(recorder) : `Installed service ${JSON.stringify(o.serviceName)}`,
    stderr: '',
  };
}

export async function grantWinstaTarget(o: { sid: string; dryRun: boolean; os: OsName }): Promise<TargetResult> {
  const fail = (why: string): TargetResult => ({
    exitCode: 74,
    stdout: '',
    stderr: `Could not grant window station access: ${why}`,
  });
  try {
    validateSid(o.sid);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (o.os !== 'windows' && !o.dryRun) return fail('only supported on Windows (--dry-run shows what would run)');
  const { platform, recorder } = windowsPlatform(o.dryRun);
  try {
    await platform.grantWinstaAccess(o.sid);
  } catch (e) {
    return fail((e as Error).message);
  }
  return {
    exitCode: 0,
    stdout: recorder ? recorded(recorder) : `Granted ${o.sid} access to WinSta0\\Default`,
    stderr: '',
  };
}

export function launchAgentPlistTarget(o: {
  program?: string;
  config: string;
  workingDirectory: string;
  output?: string;
}): TargetResult {
  try {
    const plist = launchAgentPlist({
      program: o.program ? [o.program] : [process.execPath, BIN],
      configFile: o.config,
      workingDirectory: o.workingDirectory,
    });
    if (!o.output) return { exitCode: 0, stdout: plist, stderr: '' };
    writeFileSync(o.output, plist);
    return { exitCode: 0, stdout: `Wrote ${o.output}`, stderr: '' };
  } catch (e) {
    return { exitCode: 1, stdout: '', stderr: `launch-agent-plist: ${(e as Error).message}` };
  }
}

/** Seed step 4 as a command: the worker config the launch agent runs with (0600: it holds the token). */
export function launchAgentConfigTarget(
  o: Omit<LaunchAgentConfigInput, 'accessToken' | 'workerTypeMetadata'> & {
    accessToken?: string;
    output?: string;
  },
  env: NodeJS.ProcessEnv = process.env,
): TargetResult {
  try {
    const accessToken = o.accessToken ?? env.TASKCLUSTER_ACCESS_TOKEN ?? '';
    const { output, ...fields } = o;
    const json = `${JSON.stringify(launchAgentConfig({ ...fields, accessToken }), null, 2)}\n`;
    if (!output) return { exitCode: 0, stdout: json.trimEnd(), stderr: '' };
    writeFileSync(output, json, { mode: 0o600 });
    return { exitCode: 0, stdout: `Wrote ${output}`, stderr: '' };
  } catch (e) {
    return { exitCode: 1, stdout: '', stderr: `launch-agent-config: ${(e as Error).message}` };
  }
}
