/** Ably error codes Rowcast uses (from ably-common errors.json), named for what they mean. */
export const ErrorCode = {
  BAD_REQUEST: 40000,
  INVALID_REQUEST_BODY: 40001,
  INVALID_PARAMETER_NAME: 40002,
  INVALID_PARAMETER_VALUE: 40003,
  INVALID_HEADER: 40004,
  INVALID_CREDENTIAL: 40005,
  INVALID_CONNECTION_ID: 40006,
  INVALID_MESSAGE_ID: 40007,
  INVALID_CONTENT_LENGTH: 40008,
  MAX_MESSAGE_LENGTH_EXCEEDED: 40009,
  INVALID_CHANNEL_NAME: 40010,
  BATCH_ERROR: 40020,
  UNAUTHORIZED: 40100,
  INVALID_CREDENTIALS: 40101,
  INCOMPATIBLE_CREDENTIALS: 40102,
  INVALID_USE_OF_BASIC_AUTH_OVER_NONTLS: 40103,
  TIMESTAMP_NOT_CURRENT: 40104,
  NONCE_VALUE_REPLAYED: 40105,
  UNABLE_TO_OBTAIN_CREDENTIALS: 40106,
  ACCOUNT_DISABLED: 40110,
  KEY_ERROR: 40120,
  KEY_REVOKED: 40121,
  KEY_EXPIRED: 40122,
  KEY_DISABLED: 40123,
  TOKEN_ERROR: 40140,
  TOKEN_REVOKED: 40141,
  TOKEN_EXPIRED: 40142,
  TOKEN_UNRECOGNISED: 40143,
  INVALID_JWT_FORMAT: 40144,
  INVALID_TOKEN_FORMAT: 40145,
  CONNECTION_LIMIT: 40150,
  OPERATION_NOT_PERMITTED: 40160,
  /** An update/delete by a client without clientId holding only `message-update-own`/`-delete-own`. */
  UNIDENTIFIED_CLIENT_CANNOT_MODIFY_OWN: 40166,
  /** An operation (flag/distinct/unique annotations) that needs a clientId, from a client without one. */
  IDENTIFIED_CLIENT_REQUIRED: 40161,
  REQUIRES_BASIC_AUTH: 40162,
  REVOCABLE_TOKENS_NOT_ENABLED: 40163,
  CLIENT_ID_NOT_PERMITTED: 40012,
  FORBIDDEN: 40300,
  NOT_FOUND: 40400,
  METHOD_NOT_ALLOWED: 40500,
  RATE_LIMIT: 42910,
  INBOUND_RATE_LIMIT: 42911,
  INTERNAL_ERROR: 50000,
  INTERNAL_CHANNEL_ERROR: 50001,
  TIMEOUT: 50003,
  CONNECTION_FAILED: 80000,
  CONNECTION_SUSPENDED: 80002,
  DISCONNECTED: 80003,
  CONNECTION_TIMED_OUT: 80014,
  CONNECTION_CLOSED: 80017,
  UNABLE_TO_RECOVER_CONNECTION_EXPIRED: 80008,
  UNABLE_TO_RECOVER_CHANNEL: 80016,
  /** A `resume`/`recover` connection key that is not one this server could have issued. */
  INVALID_CONNECTION_KEY_FORMAT: 80018,
  CLIENT_NOT_KEEPING_UP: 80020,
  /** A Comet request names a connection this server does not hold a transport for. */
  CONNECTION_NOT_FOUND: 80022,
  CHANNEL_OPERATION_FAILED: 90000,
  CHANNEL_NOT_ATTACHED: 90001,
  /** Annotations and message updates/deletes need the channel's "mutable messages" rule, which Rowcast has not. */
  MUTABLE_MESSAGES_NOT_ENABLED: 93002,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The wire shape of an Ably ErrorInfo. */
export interface ErrorInfoJson {
  code: number;
  statusCode: number;
  message: string;
  href?: string;
}

/**
 * An error a client should see: an Ably code, an HTTP status and a message.
 * Throw it anywhere; transports and the REST layer turn it into an ERROR/NACK frame or a JSON error body.
 */
export class ErrorInfo extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'ErrorInfo';
  }

  /** The JSON body Ably sends, with a help link as the service does. */
  toJSON(): ErrorInfoJson {
    return {
      code: this.code,
      statusCode: this.statusCode,
      message: this.message,
      href: `https://help.ably.io/error/${this.code}`,
    };
  }

  /** Wraps anything thrown into an ErrorInfo; unknown errors become 50000 so internals never leak. */
  static from(err: unknown): ErrorInfo {
    if (err instanceof ErrorInfo) return err;
    return new ErrorInfo('Internal error', ErrorCode.INTERNAL_ERROR, 500);
  }
}

/** Shorthand constructors for the errors thrown most often. */
export const errors = {
  badRequest: (message: string, code: number = ErrorCode.BAD_REQUEST) => new ErrorInfo(message, code, 400),
  unauthorized: (message: string, code: number = ErrorCode.UNAUTHORIZED) => new ErrorInfo(message, code, 401),
  forbidden: (message: string, code: number = ErrorCode.OPERATION_NOT_PERMITTED) => new ErrorInfo(message, code, 401),
  notFound: (message: string) => new ErrorInfo(message, ErrorCode.NOT_FOUND, 404),
  tooLarge: (message: string) => new ErrorInfo(message, ErrorCode.MAX_MESSAGE_LENGTH_EXCEEDED, 400),
  internal: (message: string) => new ErrorInfo(message, ErrorCode.INTERNAL_ERROR, 500),
};
