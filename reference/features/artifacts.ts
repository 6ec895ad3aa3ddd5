// Requested when payload.artifacts is non-empty. start(): every artifact's expiry must lie within
// [task deadline, task expiry] (±1 s) or the payload is malformed. stop(): each file / directory is uploaded
// (contentType guessed from the extension, gzip unless already compressed). A missing path gives an `error`
// artifact file-missing-on-worker; a path leaving the task directory (`..`, absolute outside it, symlink) is never read
// and gives invalid-resource-on-worker. Either fails the task. Names other features reserve are skipped.
// Every file is opened once (non-blocking, so a FIFO cannot stall the worker), then what was opened is
// checked on the descriptor (a regular file, really inside the task directory, readable by the task user)
// and uploaded from that descriptor: a task swapping names for links cannot make the check and the read
// see different files. The run's processes are killed before this feature's stop runs (task-run.ts).
import { constants } from 'node:fs';
import { type FileHandle, open, opendir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type ContentEncoding, chooseEncoding, descriptorSource, guessContentType } from '../artifact-upload.ts';
import type { TaskUser } from '../platform/platform.ts';
import type { ResolvedConfig } from '../config.ts';
import { statusOf } from '../queue.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';

interface PayloadArtifact {
  type: 'file' | 'directory';
  path: string;
  name?: string;
  expires?: string;
  contentType?: string;
  contentEncoding?: ContentEncoding;
  optional?: boolean;
}

class ArtifactProblem extends Error {
  readonly reason: 'file-missing-on-worker' | 'invalid-resource-on-worker';
  constructor(reason: ArtifactProblem['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Resolve a payload path to a real path inside the task directory, or explain why it is not allowed. */
async function resolveInside(taskDir: string, realRoot: string, path: string, kind: string): Promise<string> {
  const normal = path.replace(/\\/g, '/');
  // An absolute path is taken as it is (as generic-worker does) but, like a relative one, must stay inside the
  // task directory; `..` segments are resolved before the check.
  const abs = isAbsolute(normal) ? resolve(normal) : join(taskDir, normal);
  if (!inside(taskDir, abs)) {
    throw new ArtifactProblem(
      'invalid-resource-on-worker',
      `${kind} artifact '${path}' is outside the task directory; it was not read`,
    );
  }
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    throw new ArtifactProblem(
      'file-missing-on-worker',
      `Could not read ${kind === 'File' ? 'file' : 'directory'} '${abs}'`,
    );
  }
  if (!inside(realRoot, real)) {
    throw new ArtifactProblem(
      'invalid-resource-on-worker',
      `${kind} artifact '${abs}' resolves outside the task directory (symlink); it was not read`,
    );
  }
  return real;
}

/**
 * Open a file the task produced and check, on the descriptor, what was opened: a regular file whose real
 * path is inside the task directory and which the task user could read itself. Linux reads the real path
 * from /proc/self/fd; elsewhere the path is resolved again and must name the same inode.
 */
async function openVerified(path: string, realRoot: string, kind: string, user: TaskUser | undefined) {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  } catch {
    throw new ArtifactProblem('file-missing-on-worker', `Could not read file '${path}'`);
  }
  try {
    const st = await fh.stat();
    let real: string;
    if (process.platform === 'linux') {
      real = await readlink(`/proc/self/fd/${fh.fd}`);
    } else {
      real = await realpath(path);
      const again = await stat(real);
      if (again.ino !== st.ino || again.dev !== st.dev) real = '';
    }
    if (!real || !inside(realRoot, real)) {
      throw new ArtifactProblem(
        'invalid-resource-on-worker',
        `${kind} artifact '${path}' resolves outside the task directory (symlink); it was not read`,
      );
    }
    if (!st.isFile()) {
      throw new ArtifactProblem(
        'invalid-resource-on-worker',
        `${kind} artifact '${path}' is not a regular file (a FIFO, socket or device) on the worker; it was not read`,
      );
    }
    const mode = Number(st.mode);
    if (user?.uid !== undefined && st.uid !== user.uid && !(mode & 0o004) && !(st.gid === user.gid && mode & 0o040)) {
      throw new ArtifactProblem(
        'invalid-resource-on-worker',
        `${kind} artifact '${path}' is not readable by the task user ${user.name}; it was not read`,
      );
    }
    return { fh, size: st.size };
  } catch (error) {
    await fh.close();
    throw error;
  }
}

function uploadFailure(name: string, err: unknown): TaskError {
  const status = statusOf(err);
  if (status === 409) {
    return new TaskError(
      'malformed-payload',
      `There was a conflict uploading artifact ${name} - this suggests artifact ${name} was already uploaded to this task with different content earlier on in this task.`,
    );
  }
  if (status === undefined || status >= 500) {
    return new TaskError('resource-unavailable', `Could not upload artifact ${name}: ${(err as Error).message}`);
  }
  return new TaskError('internal-error', `Could not upload artifact ${name}: ${(err as Error).message}`);
}

export const artifactsFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'artifacts',
  after: ['payload-validator'],
  enabled: () => true,
  requested: (ctx) => Array.isArray(ctx.payload?.artifacts) && ctx.payload.artifacts.length > 0,
  forTask(ctx) {
    const list: PayloadArtifact[] = ctx.payload.artifacts;
    const deadline = Date.parse(ctx.task.deadline);
    const taskExpires = Date.parse(ctx.task.expires);
    return {
      async start() {
        for (const a of list) {
          if (!a.expires) continue;
          const e = Date.parse(a.expires);
          if (e < deadline - 1000) {
            throw new TaskError(
              'malformed-payload',
              `malformed payload: artifact '${a.path}' expires before task deadline (${a.expires} < ${ctx.task.deadline})`,
            );
          }
          if (e > taskExpires + 1000) {
            throw new TaskError(
              'malformed-payload',
              `malformed payload: artifact '${a.path}' expires after task expiry (${a.expires} > ${ctx.task.expires})`,
            );
          }
        }
      },
      async stop() {
        if (ctx.cancelled) return;
        const realRoot = await realpath(ctx.taskDir);
        let failure: TaskError | undefined;
        const fail = (e: TaskError) => {
          failure ??= e;
        };
        // An artifact that cannot be uploaded gets an error artifact; only a required one fails the task
        // (optional: current generic-worker).
        const problem = async (a: PayloadArtifact, name: string, expires: string, e: ArtifactProblem) => {
          if (a.optional) ctx.log.warn(`Optional artifact ${name} not uploaded: ${e.reason}: ${e.message}`);
          else ctx.log.error(`TASK FAILURE during artifact upload: ${e.reason}: ${e.message}`);
          try {
            await ctx.uploader.error(name, e.reason, e.message, expires);
          } catch (ue) {
            fail(uploadFailure(name, ue));
          }
          if (!a.optional)
            fail(new TaskError('failed', `TASK FAILURE during artifact upload: ${e.reason}: ${e.message}`));
        };
        for (const a of list) {
          // An empty name is no name (generic-worker artifact_feature.go FindArtifacts).
          const name = a.name || a.path.replace(/\\/g, '/');
          const expires = a.expires ?? ctx.task.expires;
          if (ctx.reservedArtifacts.has(name)) {
            ctx.log.warn(
              `Not uploading artifact ${name} found in task.payload.artifacts section, since this will be uploaded later by the worker`,
            );
            continue;
          }
          const files: Array<{ name: string; path: string }> = [];
          try {
            const kind = a.type === 'file' ? 'File' : 'Directory';
            const real = await resolveInside(ctx.taskDir, realRoot, a.path, kind);
            const st = await stat(real);
            if (a.type === 'file') {
              if (st.isDirectory()) {
                throw new ArtifactProblem(
                  'invalid-resource-on-worker',
                  `File artifact '${join(ctx.taskDir, a.path)}' exists as a directory, not a file, on the worker`,
                );
              }
              files.push({ name, path: real });
            } else {
              if (!st.isDirectory()) {
                throw new ArtifactProblem(
                  'invalid-resource-on-worker',
                  `Directory artifact '${join(ctx.taskDir, a.path)}' exists as a file, not a directory, on the worker`,
                );
              }
              await walk(
                real,
                realRoot,
                (rel, p) => files.push({ name: `${name}/${rel.split(sep).join('/')}`, path: p }),
                (rel, why) => {
                  ctx.log.warn(`Not uploading '${rel}' from directory artifact ${name}: ${why}`);
                },
              );
            }
          } catch (e) {
            if (!(e instanceof ArtifactProblem)) throw e;
            await problem(a, name, expires, e);
            continue;
          }
          for (const f of files) {
            let opened: { fh: FileHandle; size: number };
            try {
              opened = await openVerified(f.path, realRoot, a.type === 'file' ? 'File' : 'Directory', ctx.taskUser);
            } catch (e) {
              if (!(e instanceof ArtifactProblem)) throw e;
              if (a.type === 'directory') {
                ctx.log.warn(`Not uploading '${f.path}' from directory artifact ${name}: ${e.message}`);
                continue;
              }
              await problem(a, name, expires, e);
              continue;
            }
            const contentType = a.contentType ?? guessContentType(f.path);
            const encoding = chooseEncoding(f.path, a.contentEncoding);
            ctx.log.info(
              `Uploading artifact ${f.name} from file ${f.path} with content encoding "${encoding}", mime type "${contentType}" and expiry ${expires}`,
            );
            try {
              const source = descriptorSource(opened.fh.fd, opened.size);
              await ctx.uploader.s3({ name: f.name, source, contentType, expires, encoding });
            } catch (ue) {
              fail(uploadFailure(f.name, ue));
            } finally {
              await opened.fh.close();
            }
          }
        }
        if (failure) throw failure;
      },
    };
  },
};

/** Every regular file below `dir` (symlinks followed only while they stay inside the task directory). */
async function walk(
  dir: string,
  realRoot: string,
  onFile: (rel: string, path: string) => void,
  onSkip: (rel: string, why: string) => void,
  base = dir,
): Promise<void> {
  const entries = [];
  for await (const e of await opendir(dir)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    const rel = relative(base, p);
    let real = p;
    if (e.isSymbolicLink()) {
      try {
        real = await realpath(p);
      } catch {
        onSkip(rel, 'dangling symlink');
        continue;
      }
      if (!inside(realRoot, real)) {
        onSkip(rel, 'symlink leaves the task directory');
        continue;
      }
    }
    const st = await stat(real);
    if (st.isDirectory())
      await walk(
        real,
        realRoot,
        (r, f) => onFile(join(rel, r), f),
        (r, w) => onSkip(join(rel, r), w),
        real,
      );
    else if (st.isFile()) onFile(rel, real);
  }
}
