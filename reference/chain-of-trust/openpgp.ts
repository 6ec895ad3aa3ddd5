// openpgp, loaded when a key is first read or a signature made or checked rather than with the worker.
// Through require: its CommonJS entry is the minified bundle (396 kB against the ES entry's 1.2 MB), which
// loads ~17 ms faster and 3 MiB lighter; every use goes through here, so keys, messages and signatures all
// come from one copy of the library.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function loadOpenpgp(): typeof import('openpgp') {
  return require('openpgp') as typeof import('openpgp');
}
