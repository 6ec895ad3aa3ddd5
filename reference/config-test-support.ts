// Shared by the config unit tests (config*.test.ts): the smallest config that loads, and the exit a
// failing call ends with.
import { ExitError } from './exit-codes.ts';

export const minimalConfig = {
  accessToken: 'sekrit',
  clientId: 'c',
  workerId: 'w1',
  workerType: 'wt',
  rootURL: 'http://127.0.0.1:1',
};

/** The exit code and message of the ExitError `fn` throws; anything else it throws goes through. */
export function exitOf(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExitError) return { code: e.exitCode, message: e.message };
    throw e;
  }
  throw new Error('expected an ExitError');
}
