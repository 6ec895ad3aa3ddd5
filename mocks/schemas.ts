// Input schemas of the endpoints the mock serves, written after services/queue/schemas/v1/*.yml
// (additionalProperties false everywhere, as upstream). Checked with ajv, defaults filled in.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ApiError } from './errors.ts';

const identifier = { type: 'string', pattern: '^([a-zA-Z0-9-_]*)$', minLength: 1, maxLength: 38 };
const slug = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$',
};
const dateTime = { type: 'string', format: 'date-time' };
const expires = dateTime;

const artifactBase = (storageType: string, props: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  additionalProperties: false,
  properties: { storageType: { const: storageType }, expires, ...props },
  required: ['storageType', 'expires', ...required],
});

export const SCHEMAS: Record<string, object> = {
  'queue/v1/claim-work-request': {
    type: 'object',
    additionalProperties: false,
    properties: {
      workerGroup: identifier,
      workerId: identifier,
      tasks: { type: 'integer', minimum: 1, maximum: 32, default: 1 },
    },
    required: ['workerGroup', 'workerId'],
  },
  'queue/v1/task-claim-request': {
    type: 'object',
    additionalProperties: false,
    properties: { workerGroup: identifier, workerId: identifier },
    required: ['workerGroup', 'workerId'],
  },
  'queue/v1/quarantine-worker-request': {
    type: 'object',
    additionalProperties: false,
    properties: { quarantineUntil: dateTime, quarantineInfo: { type: 'string', maxLength: 4000 } },
    required: ['quarantineUntil'],
  },
  'queue/v1/task-exception-request': {
    type: 'object',
    additionalProperties: false,
    properties: {
      reason: {
        type: 'string',
        enum: ['worker-shutdown', 'malformed-payload', 'resource-unavailable', 'internal-error', 'intermittent-task'],
      },
    },
    required: ['reason'],
  },
  // The Queue generic-worker 11.0.1 (2018) talked to still accepted `superseded` from workers; the current
  // schema keeps the reason only for runs resolved that way in the past.
  'queue/v1/task-exception-request-v11': {
    type: 'object',
    additionalProperties: false,
    properties: {
      reason: {
        type: 'string',
        enum: [
          'worker-shutdown',
          'malformed-payload',
          'resource-unavailable',
          'internal-error',
          'intermittent-task',
          'superseded',
        ],
      },
    },
    required: ['reason'],
  },
  'queue/v1/post-artifact-request': {
    type: 'object',
    discriminator: { propertyName: 'storageType' },
    required: ['storageType'],
    oneOf: [
      artifactBase(
        's3',
        { contentType: { type: 'string', maxLength: 255 }, contentLength: { type: 'integer', minimum: 0 } },
        ['contentType'],
      ),
      artifactBase(
        'object',
        { contentType: { type: 'string', maxLength: 255 }, contentLength: { type: 'integer', minimum: 0 } },
        ['contentType'],
      ),
      artifactBase(
        'reference',
        { url: { type: 'string', format: 'uri' }, contentType: { type: 'string', maxLength: 255 } },
        ['url', 'contentType'],
      ),
      artifactBase(
        'link',
        { artifact: { type: 'string', pattern: '^[\\x20-\\x7e]+$' }, contentType: { type: 'string', maxLength: 255 } },
        ['artifact'],
      ),
      artifactBase(
        'error',
        {
          reason: {
            type: 'string',
            enum: [
              'file-missing-on-worker',
              'invalid-resource-on-worker',
              'too-large-file-on-worker',
              'file-not-readable-on-worker',
            ],
          },
          message: { type: 'string', maxLength: 4096 },
        },
        ['reason', 'message'],
      ),
    ],
  },
  'queue/v1/finish-artifact-request': {
    type: 'object',
    additionalProperties: false,
    properties: { uploadId: slug },
    required: ['uploadId'],
  },
  'queue/v1/create-task-request': {
    type: 'object',
    additionalProperties: false,
    properties: {
      taskQueueId: { type: 'string', pattern: '^[a-zA-Z0-9-_]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$' },
      provisionerId: identifier,
      workerType: { type: 'string', pattern: '^[a-z]([-a-z0-9]{0,36}[a-z0-9])?$' },
      schedulerId: identifier,
      projectId: identifier,
      taskGroupId: slug,
      dependencies: { type: 'array', items: slug, uniqueItems: true, maxItems: 10000 },
      requires: { type: 'string', enum: ['all-completed', 'all-resolved'] },
      routes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 249 }, uniqueItems: true },
      priority: {
        type: 'string',
        enum: ['highest', 'very-high', 'high', 'medium', 'low', 'very-low', 'lowest', 'normal'],
      },
      retries: { type: 'integer', minimum: 0, maximum: 49 },
      created: dateTime,
      deadline: dateTime,
      expires: dateTime,
      scopes: { type: 'array', items: { type: 'string', pattern: '^[\\x20-\\x7e]*$' }, uniqueItems: true },
      payload: { type: 'object' },
      metadata: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', maxLength: 255 },
          description: { type: 'string', maxLength: 32768 },
          owner: { type: 'string', maxLength: 255 },
          source: { type: 'string', maxLength: 4096 },
        },
        required: ['name', 'description', 'owner', 'source'],
      },
      tags: { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 } },
      extra: { type: 'object' },
    },
    required: ['created', 'deadline', 'payload', 'metadata'],
  },
  'object/v1/create-upload-request': {
    type: 'object',
    additionalProperties: false,
    properties: {
      projectId: identifier,
      uploadId: slug,
      expires,
      hashes: {
        type: 'object',
        additionalProperties: false,
        properties: { sha256: { type: 'string' }, sha512: { type: 'string' } },
      },
      proposedUploadMethods: {
        type: 'object',
        additionalProperties: false,
        properties: {
          dataInline: {
            type: 'object',
            additionalProperties: false,
            properties: { contentType: { type: 'string' }, objectData: { type: 'string' } },
            required: ['contentType', 'objectData'],
          },
          putUrl: {
            type: 'object',
            additionalProperties: false,
            properties: { contentType: { type: 'string' }, contentLength: { type: 'integer', minimum: 0 } },
            required: ['contentType', 'contentLength'],
          },
        },
      },
    },
    required: ['projectId', 'uploadId', 'expires', 'proposedUploadMethods'],
  },
  'object/v1/finish-upload-request': {
    type: 'object',
    additionalProperties: false,
    properties: {
      projectId: identifier,
      uploadId: slug,
      hashes: {
        type: 'object',
        additionalProperties: false,
        properties: { sha256: { type: 'string' }, sha512: { type: 'string' } },
      },
    },
    required: ['projectId', 'uploadId'],
  },
  'object/v1/download-object-request': {
    type: 'object',
    additionalProperties: false,
    properties: { acceptDownloadMethods: { type: 'object' } },
    required: ['acceptDownloadMethods'],
  },
  // The mock's control API (mocks/control/handlers.ts); fault rules are checked field by field there.
  'mock/v1/fault-rule': { type: 'object' },
  'mock/v1/claim-timeout': {
    type: 'object',
    additionalProperties: false,
    properties: { seconds: { type: ['integer', 'null'], minimum: 1, maximum: 86400 } },
    required: ['seconds'],
  },
  'mock/v1/supersedes': {
    type: 'object',
    additionalProperties: false,
    properties: { supersedes: { type: 'array', items: slug, maxItems: 1000 } },
    required: ['supersedes'],
  },
  'mock/v1/should-terminate': {
    type: 'object',
    additionalProperties: false,
    properties: { terminate: { type: 'boolean' } },
    required: ['terminate'],
  },
  'mock/v1/client': {
    type: 'object',
    additionalProperties: false,
    properties: {
      accessToken: { type: 'string', minLength: 1, maxLength: 1024 },
      scopes: { type: 'array', items: { type: 'string', pattern: '^[\\x20-\\x7e]*$' }, maxItems: 1000 },
    },
    required: ['accessToken', 'scopes'],
  },
  'purge-cache/v1/purge-cache-request': {
    type: 'object',
    additionalProperties: false,
    properties: { cacheName: { type: 'string', minLength: 1 } },
    required: ['cacheName'],
  },
};

const ajv = new Ajv({ useDefaults: true, allErrors: false, discriminator: true, strict: false });
// ajv-formats is CommonJS; depending on interop its function is the module or its `default`.
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => void;
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();
for (const [id, schema] of Object.entries(SCHEMAS)) compiled.set(id, ajv.compile(schema));

const describe = (e: ErrorObject): string => `data${e.instancePath.replace(/\//g, '.')} ${e.message}`;

/** Validate (and fill defaults in place); throws InputValidationError with the real message shape. */
export function validateInput(id: string, body: unknown, rootUrl: string): void {
  const v = compiled.get(id);
  if (!v) throw new Error(`no schema ${id}`);
  if (v(body)) return;
  const errors = (v.errors ?? []).map((e) => `  * ${describe(e)}`).join('\n');
  throw new ApiError(
    'InputValidationError',
    `\nSchema Validation Failed!\nRejecting Schema: ${rootUrl}/schemas/${id}.json#\nErrors:\n${errors}`,
  );
}
