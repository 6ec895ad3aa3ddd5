// Object service routes: createUpload, finishUpload, startDownload, object (metadata), download.
import { json, type Route } from '../router.ts';
import { objectKey } from './model.ts';

const P = '/api/object/v1';

export const objectRoutes: Route[] = [
  {
    name: 'createUpload',
    service: 'object',
    method: 'PUT',
    path: `${P}/upload/<name*>`,
    input: 'object/v1/create-upload-request',
    async handle({ params, body, state, authorize }) {
      authorize(`object:upload:${body.projectId}:${params.name}`);
      const { response, inline } = state.objects.createUpload(params.name, body);
      if (inline) await state.store.putBytes(objectKey(params.name), inline.data, { contentType: inline.contentType });
      return json(response);
    },
  },
  {
    name: 'finishUpload',
    service: 'object',
    method: 'POST',
    path: `${P}/finish-upload/<name*>`,
    input: 'object/v1/finish-upload-request',
    handle({ params, body, state, authorize }) {
      authorize(`object:upload:${body.projectId}:${params.name}`);
      state.objects.finishUpload(params.name, body);
      return json({});
    },
  },
  {
    name: 'startDownload',
    service: 'object',
    method: 'PUT',
    path: `${P}/start-download/<name*>`,
    input: 'object/v1/download-object-request',
    scopes: (p) => `object:download:${p.name}`,
    handle({ params, body, state }) {
      return json(state.objects.startDownload(params.name, body.acceptDownloadMethods));
    },
  },
  {
    name: 'object',
    service: 'object',
    method: 'GET',
    path: `${P}/metadata/<name*>`,
    scopes: (p) => `object:download:${p.name}`,
    handle({ params, state }) {
      const u = state.objects.get(params.name);
      return json({ projectId: u.projectId, expires: u.expires, hashes: u.hashes });
    },
  },
  {
    name: 'download',
    service: 'object',
    method: 'GET',
    path: `${P}/download/<name*>`,
    scopes: (p) => `object:download:${p.name}`,
    handle({ params, state }) {
      state.objects.get(params.name);
      const url = state.objects.simpleUrl(params.name);
      return new Response(null, { status: 303, headers: { location: url } });
    },
  },
];
