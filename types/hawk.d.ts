// hawk 9 ships no types; only the client signers are used (the taskcluster proxy's headers and bewits).
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
    client: {
      header(uri: string | URL, method: string, options: HeaderOptions): { header: string };
      getBewit(uri: string, options: { credentials: HawkCredentials; ttlSec: number; ext?: string }): string;
    };
  };
  export default hawk;
}
