// Loopback helpers that are not Taskcluster services: the S3-like store, fixture files, the superseder stub.
import { Readable } from 'node:stream';
import { bodyStreamOf } from '../body.ts';
import { json, type Route } from '../router.ts';

const s3Error = (status: number, code: string, message: string): Response =>
  new Response(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    {
      status,
      headers: { 'content-type': 'application/xml' },
    },
  );

export const extraRoutes: Route[] = [
  {
    name: 'storePut',
    service: 'store',
    method: 'PUT',
    path: '/store/<key*>',
    input: 'raw',
    async handle({ params, url, request, state, note }) {
      const [taskId, runId] = params.key.split('/');
      if (state.model.hasTask(taskId) && /^\d+$/.test(runId ?? '')) note({ taskId, runId: Number(runId) });
      const why = state.store.check('PUT', params.key, url.searchParams, state.now());
      if (why) return s3Error(403, why === 'SignatureDoesNotMatch' ? why : 'AccessDenied', why);
      // S3 refuses a PUT without Content-Length (no chunked uploads to presigned URLs).
      if (request.headers.get('content-length') === null) {
        return s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
      }
      const obj = await state.store.put(params.key, bodyStreamOf(request), {
        contentType: request.headers.get('content-type') ?? undefined,
        contentEncoding: request.headers.get('content-encoding') ?? undefined,
      });
      return json({ key: obj.key, size: obj.size, sha256: obj.sha256 }, 200, { etag: `"${obj.sha256.slice(0, 32)}"` });
    },
  },
  {
    name: 'storeGet',
    service: 'store',
    method: 'GET',
    path: '/store/<key*>',
    handle({ params, url, state }) {
      const why = state.store.check('GET', params.key, url.searchParams, state.now());
      if (why) return s3Error(403, why === 'SignatureDoesNotMatch' ? why : 'AccessDenied', why);
      const obj = state.store.get(params.key);
      if (!obj) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      const headers: Record<string, string> = { 'content-length': String(obj.size) };
      if (obj.contentType) headers['content-type'] = obj.contentType;
      if (obj.contentEncoding) headers['content-encoding'] = obj.contentEncoding;
      return new Response(Readable.toWeb(state.store.stream(obj) as Readable) as ReadableStream, {
        status: 200,
        headers,
      });
    },
  },
  {
    name: 'superseder',
    service: 'superseder',
    method: 'GET',
    path: '/superseder/<taskId>',
    handle({ params, state }) {
      return json({ supersedes: state.model.supersedesOf(params.taskId) });
    },
  },
  {
    name: 'fixtureFile',
    service: 'files',
    method: 'GET',
    path: '/fixture-files/<path*>',
    async handle({ params, state }) {
      const f = state.files ? await state.files.open(params.path) : undefined;
      if (!f) return json({ code: 'ResourceNotFound', message: `No fixture file ${params.path}` }, 404);
      return new Response(f.stream, {
        status: 200,
        headers: { 'content-type': f.contentType, 'content-length': String(f.size) },
      });
    },
  },
];
