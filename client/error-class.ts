// Every way a user can fail, reduced to a few stable class names that results and reports count.

export type ErrorClass = 'refused' | 'reset' | 'timeout' | 'content' | 'wrong-backend' | 'dropped' | 'aborted' | 'other' | `http-${number}`;

/** A response that arrived but does not meet the scenario contract. */
export class ScenarioCheckError extends Error {
  constructor(
    readonly errorClass: 'content' | 'wrong-backend',
    message: string,
  ) {
    super(message);
    this.name = 'ScenarioCheckError';
  }
}

/** The client's own cap on one request, beyond undici's header and body timeouts. */
export class RequestDeadlineError extends Error {
  readonly code = 'BL_REQUEST_DEADLINE';
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'RequestDeadlineError';
  }
}

/** The run was interrupted while this user was in flight. */
export class RunAbortedError extends Error {
  readonly code = 'BL_RUN_ABORTED';
  constructor() {
    super('run aborted');
    this.name = 'RunAbortedError';
  }
}

const CLASS_BY_CODE: Readonly<Record<string, ErrorClass>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  // The server closed the connection before the body it announced was complete.
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  BL_REQUEST_DEADLINE: 'timeout',
  BL_RUN_ABORTED: 'aborted',
  UND_ERR_ABORTED: 'aborted',
};

const CLASS_BY_NAME: Readonly<Record<string, ErrorClass>> = {
  TimeoutError: 'timeout',
  AbortError: 'aborted',
};

/** How deep to follow `cause` and AggregateError members: wrappers are one or two levels. */
const MAX_DEPTH = 3;

/** The class of a failed request: a thrown error, or `{ status }` for an answer with an unexpected status. */
export function classifyError(failure: unknown): ErrorClass {
  if (typeof failure !== 'object' || failure === null) return 'other';
  if (failure instanceof ScenarioCheckError) return failure.errorClass;
  const status = (failure as { status?: unknown }).status;
  if (typeof status === 'number' && Number.isInteger(status)) return `http-${status}`;
  return classifyThrown(failure, 0);
}

function classifyThrown(error: object, depth: number): ErrorClass {
  const { code, name, cause, errors } = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && Object.hasOwn(CLASS_BY_CODE, code)) return CLASS_BY_CODE[code];
  if (typeof name === 'string' && Object.hasOwn(CLASS_BY_NAME, name)) return CLASS_BY_NAME[name];
  if (depth >= MAX_DEPTH) return 'other';
  if (typeof cause === 'object' && cause !== null) {
    const fromCause = classifyThrown(cause, depth + 1);
    if (fromCause !== 'other') return fromCause;
  }
  // Node reports a failed connect to every address of a host as an AggregateError.
  if (Array.isArray(errors) && typeof errors[0] === 'object' && errors[0] !== null) {
    return classifyThrown(errors[0], depth + 1);
  }
  return 'other';
}
