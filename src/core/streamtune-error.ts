/** Context carried by every streamtune error: where it happened, never secrets. */
export type ErrorContext = Record<string, string | number | boolean | undefined>;

/**
 * Root of streamtune's one error family. `code` is stable and machine-readable,
 * `retriable` tells retry logic whether trying again can help, `context` says
 * where (topic, partition, field, …). gRPC status codes are chosen from these
 * at the serving edge only.
 */
export class StreamtuneError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: string, message: string, opts: { retriable?: boolean; context?: ErrorContext; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.context = opts.context ?? {};
  }
}

/** A configuration key is missing or invalid; raised at start, names the key. */
export class ConfigError extends StreamtuneError {
  constructor(key: string, message: string) {
    super('config_invalid', `invalid configuration "${key}": ${message}`, { context: { key } });
  }
}

/** An event or request input that breaks the schema; `reason` is a bounded code for metrics. */
export class InvalidInputError extends StreamtuneError {
  readonly reason: string;
  readonly field: string;
  constructor(reason: string, field: string, message: string, context: ErrorContext = {}) {
    super('invalid_input', message, { context: { ...context, field, reason } });
    this.reason = reason;
    this.field = field;
  }
}

/** No model (or not the version asked for) is loaded. */
export class ModelNotFoundError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}) {
    super('model_not_found', message, { context });
  }
}

/** A model version failed to load or warm up. */
export class ModelLoadError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('model_load_failed', message, { context, cause, retriable: true });
  }
}

/** A model version could not be written (disk full, permissions); `context.path` says where. */
export class ModelSaveError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('model_save_failed', message, { context, cause, retriable: true });
  }
}

/** Kafka could not be reached or answered with an error. */
export class BrokerError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('broker_unavailable', message, { context, cause, retriable: true });
  }
}

/**
 * A broker answered but the connection's security failed: its certificate is not
 * trusted, it refused ours, or it refused the SASL login. Not retriable: the same
 * settings fail the same way (a password file that is rewritten is read again by
 * the next client). `context.reason` says which in a few words.
 */
export class BrokerAuthError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('broker_auth_failed', message, { context, cause });
  }
}

/** The component is closing or closed and takes no new work. */
export class ClosedError extends StreamtuneError {
  constructor(what: string) {
    super('closed', `${what} is closed`);
  }
}

/** Too much work is queued; the caller may retry later (gRPC RESOURCE_EXHAUSTED). */
export class OverloadedError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}) {
    super('overloaded', message, { context, retriable: true });
  }
}

/** The caller's deadline passed before the work ran; the work was dropped. */
export class DeadlineExceededError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}) {
    super('deadline_exceeded', message, { context });
  }
}

/** A call needs credentials it did not bring (admin token). */
export class UnauthenticatedError extends StreamtuneError {
  constructor(message: string) {
    super('unauthenticated', message);
  }
}

/** The caller may not do this here whatever it sends (admin RPCs with no token configured). */
export class PermissionDeniedError extends StreamtuneError {
  constructor(message: string) {
    super('permission_denied', message);
  }
}

/** The request is valid but the system is not in a state to do it (e.g. no version to roll back to). */
export class PreconditionError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}) {
    super('failed_precondition', message, { context });
  }
}

/**
 * An HTTP service streamtune reads from (Prometheus, a server's /metrics) could
 * not be reached or answered with an error. Retriable unless the request itself
 * was wrong (e.g. a query Prometheus rejects).
 */
export class UpstreamError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}, opts: { retriable?: boolean; cause?: unknown } = {}) {
    super('upstream_failed', message, { context, cause: opts.cause, retriable: opts.retriable ?? true });
  }
}

/**
 * Another process took over what this one wrote for (a trainer's partition moved
 * while it was paused or cut off): the broker refused its transaction, nothing it
 * wrote since counts. Not retriable by this process: it must start over.
 */
export class FencedError extends StreamtuneError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('fenced', message, { context, cause });
  }
}
