// Streaming extraction of mount archives (zip via yauzl; tar.gz/.bz2/.xz/.zst via node-tar over a
// decompressor), refusing any member that would land outside the destination.
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, link, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { type Duplex, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type { ReadEntry } from 'tar';
import type * as yauzl from 'yauzl';
import { assertNoEscapingLinks, linkEscapes, resolveInside, UnsafePathError } from './paths.ts';

// The decoders are required with the first archive of their kind, not with the worker: xz-decompress
// instantiates WebAssembly and yauzl and node-tar are dozens of modules (decisions/0004-start-up-cost.md).
const require = createRequire(import.meta.url);
const lib = {
  zlib: () => process.getBuiltinModule('node:zlib'),
  tar: () => require('tar') as typeof import('tar'),
  unbzip2: () => require('unbzip2-stream') as typeof import('unbzip2-stream').default,
  xz: () => require('xz-decompress') as typeof import('xz-decompress'),
  yauzl: () => require('yauzl') as typeof import('yauzl'),
};

export const ARCHIVE_FORMATS = ['zip', 'tar', 'tar.gz', 'tar.bz2', 'tar.xz', 'tar.zst'] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

export function isSupportedFormat(format: string): format is ArchiveFormat {
  return (ARCHIVE_FORMATS as readonly string[]).includes(format);
}

/** The archive is damaged or unsafe: a runtime problem, so the task fails (not malformed-payload). */
export class ArchiveError extends Error {}

/**
 * The stream stages that turn a tar.* file into tar bytes, for one `pipeline` so an error in any stage
 * (unreadable file, bad compression) rejects the extraction instead of escaping as an unhandled event.
 */
export function tarStages(file: string, format: Exclude<ArchiveFormat, 'zip'>): [Readable, ...Duplex[]] {
  const raw = createReadStream(file);
  switch (format) {
    case 'tar':
      return [raw];
    case 'tar.gz':
      return [raw, lib.zlib().createGunzip()];
    case 'tar.zst':
      return [raw, lib.zlib().createZstdDecompress()];
    case 'tar.bz2':
      return [raw, lib.unbzip2()()];
    case 'tar.xz': {
      // WASM decoder with a web-streams API; errors of `raw` travel through toWeb/fromWeb.
      const web = new (lib.xz().XzReadableStream)(Readable.toWeb(raw) as unknown as ReadableStream<Uint8Array>);
      return [Readable.fromWeb(web as unknown as WebReadableStream<Uint8Array>)];
    }
  }
}

/** Compression formats of file mounts (payload mounts[].format) this worker can undo. */
export const FILE_FORMATS = ['gz', 'bz2', 'xz', 'zst', 'br'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export function isSupportedFileFormat(format: string): format is FileFormat {
  return (FILE_FORMATS as readonly string[]).includes(format);
}

/**
 * Decompresses file into dest (a file mount with a format, generic-worker 55.3.0+), streaming.
 * Throws ArchiveError on any problem.
 */
export async function decompressFile(file: string, format: FileFormat, dest: string): Promise<void> {
  try {
    const stages: [Readable, ...Duplex[]] =
      format === 'br'
        ? [createReadStream(file), lib.zlib().createBrotliDecompress()]
        : tarStages(file, `tar.${format}`);
    await pipeline([...stages, createWriteStream(dest, { mode: 0o600 })]);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ArchiveError(`cannot decompress ${format} file ${file}: ${msg}`);
  }
}

/** Extracts file (of the given format) into dest, which must exist. Throws ArchiveError on any problem. */
export async function extractArchive(file: string, format: ArchiveFormat, dest: string): Promise<void> {
  try {
    if (format === 'zip') await extractZip(file, dest);
    else await extractTar(file, format, dest);
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new ArchiveError(`cannot unarchive ${format} file ${file}: ${msg}`);
  }
}

interface DeferredLink {
  name: string;
  target: string;
  linkpath: string;
  hard: boolean;
}

async function extractTar(file: string, format: Exclude<ArchiveFormat, 'zip'>, dest: string): Promise<void> {
  let unsafe: string | undefined;
  const links: DeferredLink[] = [];
  // node-tar already skips absolute and `..` members with a warning; we turn that into a hard error
  // so a hostile archive fails the task instead of half-extracting. Links are created only after
  // every regular member is written, so no member can be written through a link (and node-tar's
  // own symlink path handling, which can stall on self-referencing links, is not used).
  const check = (name: string, entry: ReadEntry): boolean => {
    try {
      const target = resolveInside(dest, name, 'archive member');
      if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
        const linkpath = entry.linkpath ?? '';
        const hard = entry.type === 'Link';
        const escapes = hard ? !safeHardlink(dest, linkpath) : linkEscapes(dest, target, linkpath);
        if (escapes) throw new UnsafePathError(`archive member ${JSON.stringify(name)} links outside: ${linkpath}`);
        links.push({ name, target, linkpath, hard });
        return false;
      }
      return true;
    } catch (err) {
      unsafe ??= (err as Error).message;
      return false;
    }
  };
  const unpack = new (lib.tar().Unpack)({
    cwd: dest,
    strict: true,
    preserveOwner: false,
    filter: (p, entry) => check(p, entry as ReadEntry),
  });
  await pipeline([...tarStages(file, format), unpack]);
  if (unsafe) throw new ArchiveError(`refusing unsafe archive ${file}: ${unsafe}`);
  for (const l of links) {
    await assertSafe(dest, path.dirname(l.target));
    await mkdir(path.dirname(l.target), { recursive: true });
    await assertSafe(dest, l.target);
    if (l.hard) {
      const source = resolveInside(dest, l.linkpath, 'hard link target');
      await assertSafe(dest, source);
      await link(source, l.target);
    } else {
      await symlink(l.linkpath, l.target);
    }
  }
}

function safeHardlink(dest: string, linkpath: string): boolean {
  try {
    resolveInside(dest, linkpath, 'hard link target');
    return true;
  } catch {
    return false;
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

async function extractZip(file: string, dest: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    lib
      .yauzl()
      .open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, z) =>
        err ? reject(new ArchiveError(`zip: not a valid zip file (${file}): ${err.message}`)) : resolve(z),
      ),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => {
        zip.close();
        reject(err);
      };
      zip.on('error', fail);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        handleZipEntry(zip, entry, dest).then(() => zip.readEntry(), fail);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function handleZipEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, dest: string): Promise<void> {
  const name = entry.fileName;
  let target: string;
  try {
    target = resolveInside(dest, name, 'archive member');
  } catch (err) {
    throw new ArchiveError(`refusing unsafe archive: ${(err as Error).message}`);
  }
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  if (name.endsWith('/')) {
    await assertSafe(dest, target);
    await mkdir(target, { recursive: true });
    return;
  }
  await assertSafe(dest, path.dirname(target));
  await mkdir(path.dirname(target), { recursive: true });
  await assertSafe(dest, target);
  const stream = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
  );
  if ((mode & S_IFMT) === S_IFLNK) {
    // Symlink members store their target as the entry's content; tiny, so read it whole.
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const linkTarget = Buffer.concat(chunks).toString('utf8');
    if (linkEscapes(dest, target, linkTarget)) {
      throw new ArchiveError(`refusing unsafe archive: member ${JSON.stringify(name)} links outside: ${linkTarget}`);
    }
    await symlink(linkTarget, target);
    return;
  }
  await pipeline(stream, createWriteStream(target, { flags: 'wx' }));
  const perm = mode & 0o777;
  if (perm) await chmod(target, perm | 0o600);
}

async function assertSafe(root: string, target: string): Promise<void> {
  try {
    await assertNoEscapingLinks(root, target, 'archive member');
  } catch (err) {
    throw new ArchiveError(`refusing unsafe archive: ${(err as Error).message}`);
  }
}
