// payload.schema.*: the payload is validated before anything runs.
import { BOTH, CURRENT, gw, gw11, gwb } from '../lib/sources.ts';
import type { Statement } from '../types.ts';
import * as c from './schema.check.ts';

const area = 'payload';

export const statements: Statement[] = [
  {
    id: 'payload.schema.validated-first',
    area,
    level: 'MUST',
    text: "A payload that fails the worker's payload schema resolves exception/malformed-payload before any command runs.",
    source: [gwb('2.1'), gwb('2.7'), gw11('main.go'), gw('payload_test.go')],
    generations: BOTH,
    check: c.validatedFirst,
  },
  {
    id: 'payload.schema.errors-logged',
    area,
    level: 'SHOULD',
    text: 'For an invalid payload the log lists each validation error on a "[taskcluster:error]" line.',
    source: [gwb('2.1'), gw11('main.go')],
    generations: BOTH,
    check: c.errorsLogged,
  },
  {
    id: 'payload.schema.schema-in-log',
    area,
    level: 'SHOULD',
    text: 'For an invalid payload the log includes the payload schema after "Task payload for this worker type must conform to the following jsonschema:".',
    source: [gwb('2.7'), gw('payload_test.go')],
    generations: CURRENT,
  },
  {
    id: 'payload.schema.required-fields',
    area,
    level: 'MUST',
    text: 'command and maxRunTime are required; a payload without either is malformed.',
    source: [gwb('1.1'), gw11('all-unix-style.yml'), gw('payload_test.go')],
    generations: BOTH,
    check: c.requiredFields,
  },
  {
    id: 'payload.schema.no-additional-properties',
    area,
    level: 'MUST',
    text: 'A payload with a top-level property the schema does not define is malformed.',
    source: [gwb('1.1'), gw('payload_test.go')],
    generations: BOTH,
    check: c.noAdditionalProperties,
  },
  {
    id: 'payload.schema.env-strings',
    area,
    level: 'MUST',
    text: 'env values must be strings; a number or boolean value makes the payload malformed.',
    source: [gwb('1.1'), gw('payload_test.go')],
    generations: BOTH,
    check: c.envStrings,
  },
  {
    id: 'payload.schema.command-not-empty',
    area,
    level: 'MUST',
    text: 'An empty command list, or an empty command, makes the payload malformed.',
    source: [gwb('1.1'), gwb('2.7'), gw('payload_test.go')],
    generations: BOTH,
    check: c.commandNotEmpty,
  },
  {
    id: 'payload.schema.max-run-time-bounds',
    area,
    level: 'MUST',
    text: 'maxRunTime is at least 1; above the allowed maximum (v11: schema maximum 86400; current: config maxTaskRunTime) the payload is malformed.',
    source: [gwb('1.1'), gwb('1.2'), gw('payload_test.go')],
    generations: BOTH,
    divergence:
      'v11.0.1 caps maxRunTime in the schema at 86400; current has no schema maximum and rejects values above config maxTaskRunTime (default 86400) with "task\'s maxRunTime of N exceeded allowed maximum of M". Both give malformed-payload.',
    check: c.maxRunTimeBounds,
  },
  {
    id: 'payload.schema.empty-object',
    area,
    level: 'MUST',
    text: 'An empty payload object is malformed.',
    source: [gw('payload_test.go')],
    generations: BOTH,
    check: c.emptyObject,
  },
];
