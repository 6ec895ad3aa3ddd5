// taskcluster-lib-urls 13 ships no types; only the API URL builder is used.
declare module 'taskcluster-lib-urls' {
  const tcUrl: {
    /** `<rootUrl>/api/<service>/<version>/<path>` */
    api(rootUrl: string, service: string, version: string, path: string): string;
  };
  export default tcUrl;
}
