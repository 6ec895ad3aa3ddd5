// File-mount decompression (payload mounts[].format on a file mount): every supported format gives back
// the original bytes, and damaged input is an ArchiveError (the task fails), never an unhandled error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveError, decompressFile, FILE_FORMATS, type FileFormat, isSupportedFileFormat } from './archive.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tc-decompress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = Buffer.from('testing file mounts with compression!\n'.repeat(100));

function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function compressed(format: FileFormat): Buffer {
  if (format === 'gz') return zlib.gzipSync(text);
  if (format === 'zst') return zlib.zstdCompressSync(text);
  if (format === 'br') return zlib.brotliCompressSync(text);
  return execFileSync(format === 'bz2' ? 'bzip2' : 'xz', ['-c'], { input: text });
}

describe('decompressFile', () => {
  for (const format of FILE_FORMATS) {
    const tool = format === 'bz2' ? 'bzip2' : format === 'xz' ? 'xz' : undefined;
    it.skipIf(tool !== undefined && !hasTool(tool))(`undoes ${format}`, async () => {
      const src = path.join(dir, `in.${format}`);
      const dest = path.join(dir, `out-${format}.txt`);
      writeFileSync(src, compressed(format));
      await decompressFile(src, format, dest);
      expect(readFileSync(dest).equals(text)).toBe(true);
    });
  }

  it('rejects damaged data and a missing file as ArchiveError', async () => {
    const bad = path.join(dir, 'bad.gz');
    writeFileSync(bad, 'not gzip at all');
    await expect(decompressFile(bad, 'gz', path.join(dir, 'x'))).rejects.toBeInstanceOf(ArchiveError);
    await expect(decompressFile(path.join(dir, 'absent.zst'), 'zst', path.join(dir, 'y'))).rejects.toBeInstanceOf(
      ArchiveError,
    );
  });

  it('knows exactly the formats it can undo', () => {
    expect(FILE_FORMATS.filter(isSupportedFileFormat)).toEqual(['gz', 'bz2', 'xz', 'zst', 'br']);
    expect(isSupportedFileFormat('lz4')).toBe(false);
  });
});
