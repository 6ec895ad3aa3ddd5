// The one place that maps an OS to its Platform; the worker core calls platformFor(hostOs(), ...)
// and never looks at process.platform itself.
import type { CommandRunner } from '../sandbox/command-runner.ts';
import { DarwinPlatform } from './darwin.ts';
import { LinuxPlatform } from './linux.ts';
import type { OsName, Platform } from './platform.ts';
import { WindowsPlatform } from './windows.ts';

export interface PlatformOptions {
  /** Executes administrative commands; a RecordingRunner in tests. */
  runner?: CommandRunner;
  /** Linux: parent of task users' homes (default /home). Windows: profiles dir (default C:\Users). */
  homesDir?: string;
  /** Windows: the worker's environment and helper-script directory (tests fix them). */
  baseEnv?: Record<string, string>;
  helperDir?: string;
  generatePassword?: () => string;
}

export function hostOs(platform: NodeJS.Platform = process.platform): OsName {
  switch (platform) {
    case 'linux':
      return 'linux';
    case 'darwin':
      return 'darwin';
    case 'win32':
      return 'windows';
    default:
      throw new Error(
        `unsupported operating system ${JSON.stringify(platform)}: tc-worker runs on linux, darwin and windows`,
      );
  }
}

export function platformFor(os: OsName, options: PlatformOptions = {}): Platform {
  switch (os) {
    case 'linux':
      return new LinuxPlatform({ runner: options.runner, homesDir: options.homesDir });
    case 'darwin':
      return new DarwinPlatform({ runner: options.runner });
    case 'windows':
      return new WindowsPlatform({
        runner: options.runner,
        profilesDir: options.homesDir,
        baseEnv: options.baseEnv,
        helperDir: options.helperDir,
        generatePassword: options.generatePassword,
      });
    default:
      throw new Error(`unknown platform ${JSON.stringify(os)}: expected linux, darwin or windows`);
  }
}

export { DarwinPlatform, LinuxPlatform, WindowsPlatform };
