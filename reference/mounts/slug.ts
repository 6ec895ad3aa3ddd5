// A new slugid for a cache entry's directory or file name. slugid (with uuid, 17 modules) is required on
// the first use rather than imported, so a worker that never mounts a cache does not load it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function newSlug(): string {
  return (require('slugid') as typeof import('slugid')).nice();
}
