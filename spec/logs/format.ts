// logs.format.*: the line format of the task log, which Treeherder and people parse.
import { BOTH, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './format.check.ts';

const area = 'logs';

export const statements: Statement[] = [
  {
    id: 'logs.format.info-prefix',
    area,
    level: 'MUST',
    text: 'Worker info lines start with "[taskcluster <UTC time with milliseconds>Z] ".',
    source: [gwb('3.2'), gw('main_test.go'), gw11('main.go')],
    generations: BOTH,
    check: c.infoPrefix,
  },
  {
    id: 'logs.format.warn-prefix',
    area,
    level: 'MUST',
    text: 'Worker warnings start with "[taskcluster:warn <UTC time with milliseconds>Z] ".',
    source: [gwb('3.2'), gw11('main.go')],
    generations: BOTH,
    check: c.warnPrefix,
  },
  {
    id: 'logs.format.error-prefix',
    area,
    level: 'MUST',
    text: 'Worker errors start with "[taskcluster:error] " and carry no timestamp.',
    source: [gwb('3.2'), gw11('main.go')],
    generations: BOTH,
    check: c.errorPrefix,
  },
  {
    id: 'logs.format.header',
    area,
    level: 'MUST',
    text: 'The log opens with "Worker Type (...) settings:", the metadata, "Task ID: <taskId>" and "=== Task Starting ===", in that order.',
    source: [gwb('3.2'), gw11('main.go'), gw('main.go')],
    generations: BOTH,
    divergence:
      'v11.0.1 names the worker type alone, "Worker Type (<workerType>) settings:"; current names "(<provisionerId>/<workerType>)" since bug 1548829. Each generation is held to its own form.',
    check: c.header,
  },
  {
    id: 'logs.format.footer',
    area,
    level: 'MUST',
    text: 'After the commands the log has "=== Task Finished ===" followed by "Task Duration: <duration>".',
    source: [gwb('3.2'), gw11('main.go')],
    generations: BOTH,
    check: c.footer,
  },
  {
    id: 'logs.format.executing-command',
    area,
    level: 'MUST',
    text: 'Each command is announced as "Executing command <i>: <command>", numbered from 0 in payload order.',
    source: [gwb('2.3'), gw11('main.go'), gw('main.go')],
    generations: BOTH,
    check: c.executingCommand,
  },
  {
    id: 'logs.format.exit-code-line',
    area,
    level: 'MUST',
    text: 'Each command that ran is followed by a result block with "Exit Code: <n>", or "Command ABORTED after <d>" when the worker aborted it.',
    source: [gwb('3.2'), gw11('main.go'), gw('main.go')],
    generations: BOTH,
    divergence:
      '11.0.1 logs no result block for a command it aborted (maxRunTime exceeded, task cancelled): main.go (*TaskRun).ExecuteCommand returns the abort exception before task.Infof of the result, and the log has only "Aborting task...". v106 (*TaskRun).ExecuteCommand logs the result first, so current workers show "Command ABORTED after <d>". Measured on both. A v11 worker may end an aborted command with "Aborting task..." instead of a result block.',
    check: c.exitCodeLine,
  },
];
