// Fixture files served at <rootUrl>/fixture-files/<path>: from a directory or from an in-memory map.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import mime from 'mime-types';
import type { FileSource } from '../router.ts';

const typeOf = (path: string): string => mime.lookup(path) || 'application/octet-stream';

export function directoryFiles(root: string): FileSource {
  const base = resolve(root);
  return {
    async open(path) {
      const full = resolve(base, path);
      // Never serve outside the root (`..` in the URL).
      if (full !== base && !full.startsWith(base + sep)) return undefined;
      const st = await stat(full).catch(() => undefined);
      if (!st?.isFile()) return undefined;
      return {
        stream: Readable.toWeb(createReadStream(full)) as ReadableStream<Uint8Array>,
        size: st.size,
        contentType: typeOf(full),
      };
    },
  };
}

export function mapFiles(files: Record<string, string | Uint8Array>): FileSource {
  return {
    async open(path) {
      const v = files[path];
      if (v === undefined) return undefined;
      const bytes = Buffer.from(v);
      return { stream: new Blob([bytes]).stream(), size: bytes.length, contentType: typeOf(path) };
    },
  };
}
