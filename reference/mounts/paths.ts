// Containment of every path a mount or an archive member writes to: the task directory (or the
// extraction root) is a hard boundary, whatever the payload or the archive says.
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/** A path that would leave its root: the caller decides whether that is a payload or a runtime problem. */
export class UnsafePathError extends Error {}

/** True when `child` is `root` itself or lies below it (both absolute and normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a relative name (payload mount path or archive member name) under root, lexically.
 * Absolute names, drive letters, NUL bytes and `..` that climbs out are refused.
 */
export function resolveInside(root: string, name: string, what: string): string {
  if (name.includes('\0')) throw new UnsafePathError(`${what} ${JSON.stringify(name)} contains a NUL byte`);
  const normalised = name.replace(/\\/g, '/');
  if (normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised)) {
    throw new UnsafePathError(`${what} ${JSON.stringify(name)} is an absolute path; it must be relative`);
  }
  const target = path.resolve(root, normalised);
  if (!isInside(path.resolve(root), target)) {
    throw new UnsafePathError(`${what} ${JSON.stringify(name)} points outside ${root}`);
  }
  return target;
}

/**
 * Checks that no existing component between root and target is a symlink leading outside root,
 * so a write to target cannot be redirected by a link planted earlier (by the archive or the task).
 */
export async function assertNoEscapingLinks(root: string, target: string, what: string): Promise<void> {
  const realRoot = await realpath(root);
  const rel = path.relative(root, target);
  if (rel === '') return;
  let current = root;
  for (const part of rel.split(path.sep)) {
    current = path.join(current, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch {
      return; // the rest does not exist yet, so nothing further can redirect
    }
    if (isLink) {
      let resolved: string;
      try {
        resolved = await realpath(current);
      } catch {
        throw new UnsafePathError(`${what} ${JSON.stringify(rel)} goes through a dangling symlink ${current}`);
      }
      if (!isInside(realRoot, resolved)) {
        throw new UnsafePathError(`${what} ${JSON.stringify(rel)} goes through symlink ${current} pointing outside`);
      }
    }
  }
}

/** Whether a symlink at `linkPath` with text `linkTarget` would point (lexically) outside root. */
export function linkEscapes(root: string, linkPath: string, linkTarget: string): boolean {
  const normalised = linkTarget.replace(/\\/g, '/');
  if (normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised)) return true;
  return !isInside(path.resolve(root), path.resolve(path.dirname(linkPath), normalised));
}
