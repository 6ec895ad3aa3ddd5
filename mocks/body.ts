// A side channel for request bodies: msw clones every request it handles (tee-ing the stream), so a
// transport that wants a large body streamed without buffering hands the raw stream over here.
const streams = new WeakMap<Request, AsyncIterable<Uint8Array>>();

export function attachBodyStream(request: Request, body: AsyncIterable<Uint8Array>): void {
  streams.set(request, body);
}

/** The body to stream: the side-channel stream if a transport attached one, else the Request's own. */
export function bodyStreamOf(request: Request): AsyncIterable<Uint8Array> | null {
  return streams.get(request) ?? (request.body as AsyncIterable<Uint8Array> | null);
}
