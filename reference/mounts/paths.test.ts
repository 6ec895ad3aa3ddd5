import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoEscapingLinks, isInside, linkEscapes, resolveInside, UnsafePathError } from './paths.ts';

// Creating symlinks needs extra privileges on Windows; the cases that make them run on POSIX.
const noSymlinks = process.platform === 'win32';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tc-paths-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const piece = fc.oneof(
  fc.constantFrom('..', '.', '', '/', '\\', 'C:', 'c:\\', '~', '\0', 'a', 'b b', '..\\..'),
  fc.string({ maxLength: 4 }),
);
const name = fc
  .tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.constantFrom('/', '\\', ''))
  .map(([parts, sep]) => parts.join(sep));

describe('resolveInside (mount paths, archive member names)', () => {
  it('either refuses a name or resolves it inside the root (fast-check)', () => {
    fc.assert(
      fc.property(name, (n) => {
        try {
          expect(isInside(root, resolveInside(root, n, 'mount path'))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(UnsafePathError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses absolute paths, drive letters and climbing out, naming the offender', () => {
    expect(() => resolveInside(root, '/etc/passwd', 'mount path')).toThrow(/"\/etc\/passwd" is an absolute path/);
    expect(() => resolveInside(root, 'C:\\x', 'mount path')).toThrow(/absolute/);
    expect(() => resolveInside(root, 'a/../../x', 'mount path')).toThrow(/points outside/);
    expect(() => resolveInside(root, '..\\x', 'mount path')).toThrow(/points outside/);
    expect(resolveInside(root, 'a/./b/../c', 'mount path')).toBe(path.join(root, 'a', 'c'));
  });

  it.skipIf(noSymlinks)(
    'detects symlinks leading out, lexically (targets) and on disk (existing components)',
    async () => {
      expect(linkEscapes(root, path.join(root, 'a', 'l'), '../x')).toBe(false);
      expect(linkEscapes(root, path.join(root, 'a', 'l'), '../../x')).toBe(true);
      expect(linkEscapes(root, path.join(root, 'l'), '/etc')).toBe(true);
      await mkdir(path.join(root, 'd'));
      await symlink(os.tmpdir(), path.join(root, 'd', 'out'));
      await symlink('.', path.join(root, 'd', 'here'));
      await expect(assertNoEscapingLinks(root, path.join(root, 'd', 'out', 'f'), 'mount path')).rejects.toThrow(
        /symlink .* pointing outside/,
      );
      await expect(
        assertNoEscapingLinks(root, path.join(root, 'd', 'here', 'f'), 'mount path'),
      ).resolves.toBeUndefined();
    },
  );
});
