/**
 * An error meant for the HTTP caller: a status, a stable machine-readable code, optional details,
 * and, where the code is deliberately vague (authentication), the precise reason for logs and metrics.
 */
export class HttpError extends Error {
  /** Response headers that go with the error (`Retry-After`). */
  headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly reason: string = code,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
