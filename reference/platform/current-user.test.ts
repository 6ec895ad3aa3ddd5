import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CurrentUserPlatform } from './current-user.ts';
import { processAlive } from '../../test/helpers/process.ts';

const posix = process.platform !== 'win32';

describe.skipIf(!posix)('CurrentUserPlatform (POSIX)', () => {
  const platform = new CurrentUserPlatform();

  it('runs a command with the given cwd and env and reports its exit code', async () => {
    const p = platform.spawn({
      command: ['/bin/sh', '-c', 'echo "$FOO $(pwd)"; exit 3'],
      cwd: '/tmp',
      env: { FOO: 'bar' },
    });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    const exit = await p.exited;
    expect(exit.exitCode).toBe(3);
    // macOS: /tmp is a symlink to /private/tmp and a shell without $PWD reports the physical path.
    expect(['bar /tmp', `bar ${realpathSync('/tmp')}`]).toContain(out.trim());
  });

  it('kills the whole process tree, including grandchildren', async () => {
    const p = platform.spawn({ command: ['/bin/sh', '-c', 'sleep 60 & echo $!; wait'], cwd: '/tmp', env: {} });
    const grandchild = await new Promise<number>((resolve) =>
      p.stdout.once('data', (b) => resolve(Number(String(b).trim()))),
    );
    expect(processAlive(grandchild)).toBe(true);
    await p.killTree();
    const exit = await p.exited;
    expect(exit.signal).toBe('SIGKILL');
    for (let i = 0; i < 500 && processAlive(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
    expect(processAlive(grandchild)).toBe(false);
  });

  it('reports a command that cannot be started as a start error', async () => {
    const exit = await platform.spawn({ command: ['/no/such/binary'], cwd: '/tmp', env: {} }).exited;
    expect(exit.startError).toBeDefined();
    expect(exit.exitCode).toBeNull();
  });
});
