// features.supersede.*: the superseder service (10.2.0 to v39; gone in current).
import { CURRENT, gw, gw11, gwb, V11 } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './supersede.check.ts';

const area = 'features';

export const statements: Statement[] = [
  {
    id: 'features.supersede.resolves-superseded',
    area,
    level: 'MUST',
    text: 'When the superseder lists another task first, the task resolves exception/superseded without running and publishes public/superseded-by.json {"taskId": <first>}.',
    source: [gwb('0'), gwb('8.5'), gw11('supersede.go'), gw11('supersede_test.go')],
    generations: V11,
    check: c.resolvesSuperseded,
  },
  {
    id: 'features.supersede.not-superseded-runs',
    area,
    level: 'MUST',
    text: 'An empty superseder list, or one headed by this task, lets the task run normally.',
    source: [gwb('8.5'), gw11('supersede_test.go')],
    generations: V11,
  },
  {
    id: 'features.supersede.url-verbatim',
    area,
    level: 'MUST',
    text: 'The worker calls supersederUrl exactly as given, without appending ?taskId=.',
    source: [gwb('0'), gwb('8.5'), gw11('supersede.go')],
    generations: V11,
    divergence: 'The 11.0.1 payload schema text says the worker appends ?taskId=; the code does not. The code wins.',
    check: c.urlVerbatim,
  },
  {
    id: 'features.supersede.unreachable-runs',
    area,
    level: 'SHOULD',
    text: 'When the superseder cannot be reached or answers nonsense, the worker warns and runs the task.',
    source: [gwb('8.5'), gw11('supersede.go')],
    generations: V11,
  },
  {
    id: 'features.supersede.ignored',
    area,
    level: 'MUST',
    text: 'Current workers accept supersederUrl and ignore it.',
    source: [gwb('1.2'), gw('schemas/insecure_posix.yml')],
    generations: CURRENT,
  },
];
