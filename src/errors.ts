// The one error type. The web error handler turns it into a response; its message is safe to show.
export type ErrorCode = "invalid_input" | "not_found" | "invalid_token" | "rate_limited" | "csrf" | "unavailable" | "internal";

const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  not_found: 404,
  invalid_token: 400,
  rate_limited: 429,
  csrf: 403,
  unavailable: 503,
  internal: 500,
};

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.status = STATUS[code];
  }
}
