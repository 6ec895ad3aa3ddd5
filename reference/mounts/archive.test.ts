import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError, type ArchiveFormat, extractArchive } from './archive.ts';
import { isInside } from './paths.ts';
import { type Member, tarBuffer, zipBuffer } from './test-archives.ts';

// Creating symlinks needs extra privileges on Windows; the cases that make them run on POSIX.
const noSymlinks = process.platform === 'win32';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'tc-archive-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
let n = 0;
async function fresh(): Promise<{ dir: string; dest: string }> {
  const dir = path.join(work, `case-${n++}`);
  const dest = path.join(dir, 'task', 'dest');
  await mkdir(dest, { recursive: true });
  return { dir, dest };
}

/** Every file below root, as relative paths (links included, not followed). */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    out.push(path.relative(root, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

const members: Member[] = [
  { name: 'a/', type: 'dir' },
  { name: 'a/hello.txt', content: 'hello\n' },
  { name: 'top.txt', content: 'top\n', mode: 0o755 },
  { name: 'a/link', type: 'symlink', linkTarget: 'hello.txt' },
];

async function compress(tar: Buffer, format: ArchiveFormat, file: string): Promise<void> {
  if (format === 'tar.gz') return writeFile(file, zlib.gzipSync(tar));
  if (format === 'tar.zst') return writeFile(file, zlib.zstdCompressSync(tar));
  const tool = format === 'tar.bz2' ? 'bzip2' : 'xz';
  const r = spawnSync(tool, ['-c'], { input: tar });
  if (r.status !== 0) throw new Error(`${tool} failed`);
  await writeFile(file, r.stdout);
}

describe('extractArchive', () => {
  for (const format of ['tar.gz', 'tar.zst', 'tar.bz2', 'tar.xz'] as const) {
    const tool = format === 'tar.bz2' ? 'bzip2' : format === 'tar.xz' ? 'xz' : undefined;
    it.skipIf(noSymlinks || (tool !== undefined && !has(tool)))(
      `extracts ${format} (needs ${tool ?? 'nothing'} to build it)`,
      async () => {
        const { dir, dest } = await fresh();
        const file = path.join(dir, `a.${format}`);
        await compress(tarBuffer(members), format, file);
        await extractArchive(file, format, dest);
        expect(await walk(dest)).toEqual(['a', 'a/hello.txt', 'a/link', 'top.txt']);
        expect(await readFile(path.join(dest, 'a/hello.txt'), 'utf8')).toBe('hello\n');
        expect(await readlink(path.join(dest, 'a/link'))).toBe('hello.txt');
      },
    );
  }

  it.skipIf(noSymlinks)('extracts zip, including symlinks and modes', async () => {
    const { dir, dest } = await fresh();
    const file = path.join(dir, 'a.zip');
    await writeFile(file, zipBuffer(members));
    await extractArchive(file, 'zip', dest);
    expect(await walk(dest)).toEqual(['a', 'a/hello.txt', 'a/link', 'top.txt']);
    expect(await readFile(path.join(dest, 'top.txt'), 'utf8')).toBe('top\n');
    expect(await readlink(path.join(dest, 'a/link'))).toBe('hello.txt');
  });

  it('reports a missing file and corrupt bz2/xz/zst data as ArchiveError, never as an unhandled error', async () => {
    const { dir, dest } = await fresh();
    for (const format of ['tar', 'tar.gz', 'tar.bz2', 'tar.xz', 'tar.zst'] as const) {
      await expect(extractArchive(path.join(dir, 'absent'), format, dest)).rejects.toBeInstanceOf(ArchiveError);
      const bad = path.join(dir, `bad.${format}`);
      await writeFile(bad, 'definitely not compressed data, nor a tar archive; '.repeat(20));
      await expect(extractArchive(bad, format, dest)).rejects.toBeInstanceOf(ArchiveError);
    }
  });

  it('reports a corrupt zip and a corrupt tar.gz as ArchiveError', async () => {
    const { dir, dest } = await fresh();
    await writeFile(path.join(dir, 'bad.zip'), 'this is not a zip');
    await expect(extractArchive(path.join(dir, 'bad.zip'), 'zip', dest)).rejects.toThrow(/not a valid zip file/);
    await writeFile(path.join(dir, 'bad.tgz'), 'this is not gzip');
    await expect(extractArchive(path.join(dir, 'bad.tgz'), 'tar.gz', dest)).rejects.toBeInstanceOf(ArchiveError);
  });

  it.skipIf(noSymlinks)('refuses a symlink member pointing out, and a member written through it', async () => {
    for (const format of ['zip', 'tar.gz'] as const) {
      const { dir, dest } = await fresh();
      const evil: Member[] = [
        { name: 'out', type: 'symlink', linkTarget: '../../..' },
        { name: 'out/pwned.txt', content: 'x' },
      ];
      const file = path.join(dir, `evil.${format}`);
      await writeFile(file, format === 'zip' ? zipBuffer(evil) : zlib.gzipSync(tarBuffer(evil)));
      await expect(extractArchive(file, format, dest)).rejects.toThrow(/unsafe archive/);
      expect((await walk(dir)).filter((p) => p.endsWith('pwned.txt') && !p.startsWith('task/dest/'))).toEqual([]);
    }
  });

  // Property: whatever member names an archive carries, nothing is created outside dest.
  const segment = fc.constantFrom('..', '.', 'a', 'b', '', '/', 'c:', '\\..', 'x\\..\\..');
  const memberName = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));
  const member: fc.Arbitrary<Member> = fc.record({
    name: memberName.filter((s) => s.length > 0 && s.length < 90),
    type: fc.constantFrom('file', 'symlink', 'dir'),
    content: fc.constant('data'),
    linkTarget: memberName.filter((s) => s.length > 0 && s.length < 90),
  }) as fc.Arbitrary<Member>;

  for (const format of ['zip', 'tar.gz'] as const) {
    it(`never writes outside dest (${format}, fast-check)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(member, { minLength: 1, maxLength: 4 }), async (ms) => {
          const { dir, dest } = await fresh();
          const file = path.join(dir, `p.${format}`);
          await writeFile(file, format === 'zip' ? zipBuffer(ms) : zlib.gzipSync(tarBuffer(ms)));
          await extractArchive(file, format, dest).catch((err) => {
            if (!(err instanceof ArchiveError)) throw err;
          });
          // Only the archive and the task/dest tree may exist under the case directory.
          for (const p of await walk(dir)) {
            const abs = path.join(dir, p);
            expect(p === path.basename(file) || p === 'task' || isInside(dest, abs)).toBe(true);
          }
          await rm(dir, { recursive: true, force: true });
        }),
        { numRuns: 60 },
      );
    });
  }
});
