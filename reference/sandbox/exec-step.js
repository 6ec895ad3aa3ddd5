// The exec step of a task command (Linux). The worker starts this file with an empty environment and
// fixed arguments, so nothing a task controls reaches a privileged process: the command, its environment
// and its directory arrive as data on fd 3. It joins the run's cgroup when there is one, drops to the task
// user when there is one (supplementary groups, gid, uid), and only then enters the directory, resolves the
// command on the task's PATH (as execvp would, with the task user's permissions) and execs it with the
// task's environment.
// A command that cannot be started is reported back on fd 3 as JSON; on success fd 3 is closed at exec.
// Plain JavaScript without imports beyond node:fs/node:path: it starts for every command.
import { accessSync, closeSync, constants, openSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const CHANNEL = 3;
/** Linux MAX_ARG_STRLEN: execve refuses any single argument or environment string longer than this. */
const MAX_ARG_STRLEN = 32 * 4096;

function fail(code, message) {
  try {
    writeSync(CHANNEL, JSON.stringify({ code, message }));
  } catch {
    // the worker went away; nothing to tell
  }
  process.exit(127);
}

function readSpec() {
  const chunks = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = readSync(CHANNEL, buf, 0, buf.length, null);
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** execvp's search: a name with a slash is used as is; otherwise each PATH entry ('' = the directory). */
function resolveCommand(file, pathVar) {
  const candidates = file.includes('/')
    ? [file]
    : (pathVar ?? '/bin:/usr/bin').split(':').map((dir) => path.join(dir || '.', file));
  let denied;
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch (error) {
      if (error.code === 'EACCES') denied ??= candidate;
    }
  }
  if (denied) fail('EACCES', `spawn ${file} EACCES`);
  fail('ENOENT', `spawn ${file} ENOENT`);
}

/** Whether execve would take the file itself (ELF or #!), or execvp would hand it to /bin/sh (ENOEXEC). */
function directlyExecutable(file) {
  let fd;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return true; // execute-only: only a binary can be run that way, so let execve decide
  }
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return (n >= 2 && head[0] === 0x23 && head[1] === 0x21) || (n === 4 && head.toString('latin1') === '\x7fELF');
  } catch {
    return true;
  } finally {
    closeSync(fd);
  }
}

const spec = readSpec();
if (spec.cgroup) {
  // Join the run's cgroup while still privileged, so the command and all it starts are in it from the first instruction.
  try {
    writeFileSync(path.join(spec.cgroup, 'cgroup.procs'), String(process.pid));
  } catch (error) {
    fail(error.code ?? 'EPERM', `could not join the run's cgroup ${spec.cgroup}: ${error.message}`);
  }
}
if (spec.uid !== undefined) {
  try {
    process.setgroups(spec.groups);
    process.setgid(spec.gid);
    process.setuid(spec.uid);
  } catch (error) {
    fail(error.code ?? 'EPERM', `could not switch to uid ${spec.uid} gid ${spec.gid}: ${error.message}`);
  }
  if (process.getuid() !== spec.uid || process.geteuid() !== spec.uid || process.getegid() !== spec.gid) {
    fail('EPERM', `still running as uid ${process.geteuid()} after switching to ${spec.uid}`);
  }
}
try {
  process.chdir(spec.cwd);
} catch (error) {
  fail(error.code ?? 'ENOENT', `cannot enter ${spec.cwd}: ${error.message}`);
}
const [name, ...args] = spec.argv;
if (!name) fail('ENOENT', 'empty command');
const file = resolveCommand(name, spec.env.PATH);
const direct = directlyExecutable(file);
const argv = direct ? [name, ...args] : ['/bin/sh', file, ...args];
const entries = Object.entries(spec.env);
const tooLong = [...argv, ...entries.map(([k, v]) => `${k}=${v}`)].find((s) => Buffer.byteLength(s) >= MAX_ARG_STRLEN);
if (tooLong !== undefined) {
  fail('E2BIG', `spawn ${name} E2BIG: an argument or environment variable is ${Buffer.byteLength(tooLong)} bytes`);
}
// Node ignores SIGPIPE and SIGXFSZ, and ignored signals survive exec; a handler is reset to the default.
process.on('SIGPIPE', () => {});
process.on('SIGXFSZ', () => {});
closeSync(CHANNEL);
process.execve(direct ? file : '/bin/sh', argv, spec.env);
