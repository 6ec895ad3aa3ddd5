// hawk 9 ships no types; only the client header signer is used (taskcluster proxy, artifact downloads).
declare module 'hawk' {
  interface HawkCredentials {
    id: string;
    key: string;
    algorithm: 'sha256' | 'sha1';
  }
  interface HeaderOptions {
    credentials: HawkCredentials;
    ext?: string;
    timestamp?: number;
    nonce?: string;
    payload?: string;
    contentType?: string;
  }
  const hawk: {
    client: { header(uri: string | URL, method: string, options: HeaderOptions): { header: string } };
  };
  export default hawk;
}
