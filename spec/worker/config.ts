// worker.config.*: loading and validating the worker config file.
import { BOTH, CURRENT, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './config.check.ts';

const area = 'worker';

export const statements: Statement[] = [
  {
    id: 'worker.config.required-missing',
    area,
    level: 'MUST',
    text: 'A config without a required setting (e.g. workerId) is invalid: the worker says which and exits 73.',
    source: [gwb('7.1'), gwb('7.2'), gw11('gwconfig/config.go'), gw('gwconfig/config.go')],
    generations: BOTH,
    check: c.requiredMissing,
  },
  {
    id: 'worker.config.unknown-key',
    area,
    level: 'MUST',
    text: 'A config key the worker does not know makes the config unloadable (exit 64).',
    source: [gwb('7.2'), gw('main.go')],
    generations: CURRENT,
    divergence:
      '11.0.1 merges the file over defaults and ignores unknown keys; current decodes with DisallowUnknownFields.',
  },
  {
    id: 'worker.config.wrong-type',
    area,
    level: 'MUST',
    text: 'A config value of the wrong JSON type (e.g. a boolean given as a string) makes the config unloadable.',
    source: [gwb('7.1'), gw('config_test.go'), gw11('config_test.go')],
    generations: BOTH,
    divergence: 'Exit 65 in 11.0.1, 64 in current (see worker.exit-code.cant-load-config).',
  },
  {
    id: 'worker.config.invalid-json',
    area,
    level: 'MUST',
    text: 'A config file that is not valid JSON makes the config unloadable.',
    source: [gwb('7.1'), gw('config_test.go'), gw11('config_test.go')],
    generations: BOTH,
    divergence: 'Exit 65 in 11.0.1, 64 in current.',
  },
  {
    id: 'worker.config.missing-file',
    area,
    level: 'MUST',
    text: 'A config file that does not exist stops the worker before it claims anything.',
    source: [gwb('6.1'), gw('config_test.go'), gw11('config_test.go')],
    generations: BOTH,
    divergence:
      'Current: exit 64 (the file must exist). 11.0.1: defaults only, then Validate() fails on the required settings: exit 73.',
  },
  {
    id: 'worker.config.capacity-minimum',
    area,
    level: 'MUST',
    text: 'capacity must be at least 1; 0 makes the config invalid (exit 73).',
    source: [gwb('7.2'), gw('gwconfig/config.go')],
    generations: CURRENT,
  },
  {
    id: 'worker.config.secrets-masked',
    area,
    level: 'SHOULD',
    text: 'When the worker logs its config it masks its secrets (accessToken, livelogSecret); its private signing keys never appear in its output.',
    source: [gwb('7.1'), gw11('main.go')],
    generations: BOTH,
    check: c.secretsMasked,
  },
  {
    id: 'worker.config.number-of-tasks-zero',
    area,
    level: 'MUST',
    text: 'numberOfTasksToRun 0 means no limit: the worker keeps claiming until something else stops it.',
    source: [gwb('7.1'), gw11('main.go')],
    generations: BOTH,
  },
];
