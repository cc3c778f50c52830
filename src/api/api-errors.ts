// Every refusal of the server API: an HTTP status and a stable code, listed
// in docs/server-api.md (a test checks) and counted in ws_api_requests_total.

/** code -> HTTP status. The code is the contract; the status follows HTTP's meaning. */
export const ApiErrorStatus = {
  UNAUTHORIZED: 401,
  API_DISABLED: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BODY_TOO_LARGE: 413,
  MESSAGE_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  INVALID_JSON: 400,
  INVALID_REQUEST: 400,
  INVALID_CHANNEL: 400,
  UNKNOWN_CHANNEL: 400,
  INVALID_BOOK: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  INVALID_POSITION: 400,
  INVALID_LIMIT: 400,
  INVALID_USER: 400,
  BROKER_UNAVAILABLE: 503,
  HISTORY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const;
export type ApiErrorCode = keyof typeof ApiErrorStatus;

/** A refusal; thrown anywhere below the router, answered as `{"error":{"code","message",...}}`. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** More fields for the error object, e.g. the batch `index` at fault. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = ApiErrorStatus[code];
  }

  toJSON(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}
