// Taskcluster API errors: the real services answer every error as JSON {code, message, requestInfo}
// (libraries/api/src/middleware/express-error.js); handlers throw ApiError and the router renders it.

export const ERROR_STATUS = {
  MalformedPayload: 400,
  InvalidRequestArguments: 400,
  InputValidationError: 400,
  InputError: 400,
  AuthenticationFailed: 401,
  InsufficientScopes: 403,
  ResourceNotFound: 404,
  RequestConflict: 409,
  ResourceExpired: 410,
  InputTooLarge: 413,
  InternalServerError: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (message: string): ApiError => new ApiError('ResourceNotFound', message);
export const conflict = (message: string): ApiError => new ApiError('RequestConflict', message);
export const inputError = (message: string): ApiError => new ApiError('InputError', message);

export interface RequestInfo {
  method: string;
  params: Record<string, string>;
  payload: unknown;
  time: string;
}

/** The real body: the message carries a footer with method, code, status and time. */
export function errorBody(
  err: { code: string; status: number; message: string },
  info: RequestInfo,
): { code: string; message: string; requestInfo: RequestInfo } {
  const message =
    `${err.message}\n\n---\n\n* method:     ${info.method}\n* errorCode:  ${err.code}\n` +
    `* statusCode: ${err.status}\n* time:       ${info.time}`;
  return { code: err.code, message, requestInfo: info };
}
