// A cache of Node's type stripping, imported by the entry shims before any .ts module loads.
//
// Node 22 strips the types of every .ts file it loads with amaro (swc compiled to WebAssembly). Loading amaro
// alone costs about 15 MiB of RSS and 60–100 ms of start-up, before the first file is stripped; Node 23.8+
// caches the stripped output in its compile cache (nodejs/node#56629), 22.23 does not. This hook does the
// same: a .ts file whose stripped text is cached (keyed by a hash of its source and the Node version) is
// served from the cache as JavaScript, so a warm start never loads amaro; on a miss it strips with Node's
// own `stripTypeScriptTypes` (the same amaro, same whitespace-preserving output, so stack-trace positions
// are unchanged) and stores the result. (V8's own compile cache, module.enableCompileCache, was measured
// too: with this cache in place it saved no time and cost 0.75 MiB of idle RSS.)
//
// The cache lives in node_modules/.cache/tc-worker-kit (a directory only its owner may write: code from it
// runs with the worker's privileges); anything unusual — no such directory can be made, another owner,
// group- or world-writable, TC_KIT_TS_CACHE=off — and Node loads .ts files itself, as before.
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SALT = `tc-kit-ts-cache 1 ${process.version}`;

/** The cache directory if it is safe to run code from, else undefined. */
function cacheDir() {
  const setting = process.env.TC_KIT_TS_CACHE;
  if (setting === 'off') return undefined;
  const dir = setting || fileURLToPath(new URL('../node_modules/.cache/tc-worker-kit/', import.meta.url));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const owner = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isDirectory() || st.uid !== owner || (process.platform !== 'win32' && (st.mode & 0o022) !== 0))
      return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Type-strip without the one-time ExperimentalWarning of the API (loading .ts files prints none either). */
function strip(source, url) {
  const emit = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return stripTypeScriptTypes(source, { mode: 'strip', sourceUrl: url });
  } finally {
    process.emitWarning = emit;
  }
}

function writeAtomically(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs the next start the stripping.
  }
}

/**
 * Entries are never rewritten, so an edited file leaves its old entry behind: when a miss finds more than
 * MAX_ENTRIES, entries older than a week go (one still in use is simply made again on its next miss).
 */
const MAX_ENTRIES = 2000;
let pruned = false;
function prune(dir) {
  if (pruned) return;
  pruned = true;
  try {
    const names = readdirSync(dir);
    if (names.length <= MAX_ENTRIES) return;
    const old = Date.now() - 7 * 24 * 3600_000;
    for (const n of names) {
      const f = join(dir, n);
      if (statSync(f).mtimeMs < old) rmSync(f, { force: true });
    }
  } catch {}
}

const dir = cacheDir();
// reference/schemas.ts keeps compiled validators here too (only in processes started through the bins).
if (dir) globalThis[Symbol.for('tc-worker-kit.cache-dir')] = dir;
if (dir && typeof registerHooks === 'function' && typeof stripTypeScriptTypes === 'function') {
  registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/'))
        return nextLoad(url, context);
      const path = fileURLToPath(url);
      const source = readFileSync(path, 'utf8');
      const key = createHash('sha256').update(SALT).update('\0').update(url).update('\0').update(source).digest('hex');
      const file = join(dir, `${key}.js`);
      let code;
      try {
        code = readFileSync(file, 'utf8');
      } catch {
        code = strip(source, url);
        writeAtomically(file, code);
        prune(dir);
      }
      return { format: 'module', source: code, shortCircuit: true };
    },
  });
}
