// Test helper: builds tar and zip archives byte by byte, so tests can make members with any name
// (absolute, `..`, symlinks) that well-behaved archivers refuse to write.
import zlib from 'node:zlib';

export interface Member {
  name: string;
  /** file content; ignored for directories and links */
  content?: string | Buffer;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  linkTarget?: string;
  mode?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** A POSIX ustar archive (names up to 100 bytes, enough for tests). */
export function tarBuffer(members: Member[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const type = m.type ?? 'file';
    const body = type === 'file' ? Buffer.from(m.content ?? '') : Buffer.alloc(0);
    const h = Buffer.alloc(512);
    h.write(m.name, 0, 100, 'utf8');
    h.write(octal(m.mode ?? (type === 'dir' ? 0o755 : 0o644), 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(body.length, 12), 124, 'ascii');
    h.write(octal(1_700_000_000, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write({ file: '0', dir: '5', symlink: '2', hardlink: '1' }[type], 156, 'ascii');
    if (m.linkTarget) h.write(m.linkTarget, 157, 100, 'utf8');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + ' ', 148, 'ascii');
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A stored (uncompressed) zip; symlinks carry S_IFLNK in the external attributes as Info-ZIP does. */
export function zipBuffer(members: Member[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const type = m.type ?? 'file';
    const name = Buffer.from(type === 'dir' && !m.name.endsWith('/') ? `${m.name}/` : m.name, 'utf8');
    const data = type === 'symlink' ? Buffer.from(m.linkTarget ?? '') : Buffer.from(m.content ?? '');
    const crc = zlib.crc32(data);
    const mode = (type === 'symlink' ? 0o120000 : type === 'dir' ? 0o040000 : 0o100000) | (m.mode ?? 0o644);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
