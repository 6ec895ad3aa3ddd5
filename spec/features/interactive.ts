// features.interactive.*: the interactive shell of current generic-worker (interactive_feature.go,
// interactive/). Cases need a worker that serves it (requires-tag interactive). Typing into the shell
// (TestInteractiveCommand, TestInteractiveWrongSecret) needs a websocket client in the runner, not built yet.
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './interactive.check.ts';

const area = 'features';
const feature = gw('interactive_feature.go');

export const statements: Statement[] = [
  {
    id: 'features.interactive.shell-artifact',
    area,
    level: 'MUST',
    text: "With config enableInteractive, features.interactive publishes private/generic-worker/shell.html, a reference artifact whose URL carries the socketUrl of the task's shell, and the task runs as usual.",
    source: [feature, gw('interactive_test.go (TestInteractiveArtifact)')],
    generations: CURRENT,
    platforms: ['linux', 'darwin'],
    check: c.shellArtifact,
  },
];
