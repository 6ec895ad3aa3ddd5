// Always on: the payload must match this platform's schema (schemas/payload/<os>.json); otherwise the
// errors go to the task log and the run ends exception/malformed-payload.
import type { ValidateFunction } from 'ajv';
import type { ResolvedConfig } from '../config.ts';
import { compile, describeErrors, payloadSchemaPath, readSchema } from '../schemas.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError } from './feature.ts';

const validators = new Map<string, ValidateFunction>();

export const payloadValidatorFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'payload-validator',
  after: ['backing-log'],
  enabled: () => true,
  requested: () => true,
  forTask(ctx) {
    return {
      async start() {
        const path = payloadSchemaPath(ctx.platform.os);
        let validate = validators.get(path);
        if (!validate) {
          validate = compile(path);
          validators.set(path, validate);
        }
        if (validate(ctx.payload)) return;
        const lines = describeErrors(validate.errors, 'payload');
        ctx.log.error(
          ['TASK FAIL since the task payload is invalid. See errors:', ...lines.map((l) => `- ${l}`)].join('\n'),
        );
        ctx.log.info(
          `Task payload for this worker type must conform to the following jsonschema:\n${JSON.stringify(readSchema(path), null, 2)}`,
        );
        throw new TaskError('malformed-payload', `Validation of payload failed for task ${ctx.taskId}`);
      },
      async stop() {},
    };
  },
};
