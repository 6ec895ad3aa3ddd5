// logs.backing.* and logs.live.*: the log artifacts of a run.
import { BOTH, CURRENT, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './artifacts.check.ts';

const area = 'logs';

export const statements: Statement[] = [
  {
    id: 'logs.backing.published',
    area,
    level: 'MUST',
    text: 'Every run the worker resolves publishes its full log as public/logs/live_backing.log (current: payload.logs.backing).',
    source: [gwb('3.1'), gw11('main.go'), gw('backing_log_feature.go')],
    generations: BOTH,
    check: c.backingPublished,
  },
  {
    id: 'logs.backing.content-type',
    area,
    level: 'MUST',
    text: 'The backing log has content type "text/plain; charset=utf-8".',
    source: [gwb('3.1'), gw11('main.go')],
    generations: BOTH,
    check: c.backingContentType,
  },
  {
    id: 'logs.backing.gzip',
    area,
    level: 'SHOULD',
    text: 'The backing log is stored gzip-encoded.',
    source: [gwb('3.1'), gw11('artifacts.go')],
    generations: BOTH,
    check: c.backingGzip,
  },
  {
    id: 'logs.backing.expires-with-task',
    area,
    level: 'SHOULD',
    text: 'The backing log expires when the task expires.',
    source: [gwb('3.1'), gw11('main.go')],
    generations: BOTH,
    check: c.backingExpires,
  },
  {
    id: 'logs.backing.before-resolve',
    area,
    level: 'MUST',
    text: 'The backing log is uploaded before the run is reported completed or failed.',
    source: [gwb('8.3'), gw11('main.go')],
    generations: BOTH,
    check: c.backingBeforeResolve,
  },
  {
    id: 'logs.live.final-pointer',
    area,
    level: 'MUST',
    text: 'At the end of the run public/logs/live.log points at the backing log: a link artifact (current) or a reference to its Queue URL (v11).',
    source: [gwb('3.1'), gw('livelog_feature.go'), gw11('livelog.go')],
    generations: BOTH,
    divergence:
      'v11.0.1 re-creates live.log as a reference to the backing log URL; current creates a link artifact. Each generation is held to its own form.',
    check: c.liveFinal,
  },
  {
    id: 'logs.live.streams-while-running',
    area,
    level: 'MUST',
    text: 'While a task runs, its live log is a reference artifact whose URL streams the log as it is written, so a reader sees output before the run is resolved.',
    source: [gw('livelog_feature.go'), gw('livelog/livelog.go'), gw('expose/local.go'), gw11('livelog.go')],
    generations: BOTH,
    divergence:
      'v106 writes task output through io.MultiWriter(live log, backing log) (livelog_feature.go updateTaskLogWriter), which stops at the first error of the live log stream: the task then dies of SIGPIPE ("exit status 141") and the backing log stays empty. The differential run saw it on 3 of 240 valid tasks under load (README "Differential testing"). The kit asks only that the live log stream; tc-worker keeps the backing log and the task whatever the live log does.',
    check: c.liveStreams,
  },
  {
    id: 'logs.live.disabled',
    area,
    level: 'MUST',
    text: 'With features.liveLog false the worker publishes no live log.',
    source: [gwb('1.2'), gw('livelog_feature.go'), gw('livelog_test.go')],
    generations: CURRENT,
    check: c.liveDisabled,
  },
  {
    id: 'logs.backing.disabled',
    area,
    level: 'MUST',
    text: 'With features.backingLog false the worker publishes no backing log.',
    source: [gwb('1.2'), gw('backing_log_feature.go')],
    generations: CURRENT,
    check: c.backingDisabled,
  },
  {
    id: 'logs.names.custom',
    area,
    level: 'MUST',
    text: 'payload.logs.live and payload.logs.backing rename the live and backing log artifacts.',
    source: [gwb('1.2'), gw('main_test.go')],
    generations: CURRENT,
    check: c.customNames,
  },
];
