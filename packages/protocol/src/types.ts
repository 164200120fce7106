import type { ErrorInfoJson } from './errors.js';
import type { Annotation, MessageAnnotations, MessageVersion } from './mutable.js';

/**
 * Message payload as it travels: a string, a binary buffer, or (after JSON decoding on the client) an object.
 * On the server, object data stays a JSON string with `encoding: "json"`; Rowcast never re-encodes payloads.
 */
export type MessageData = string | Uint8Array | Record<string, unknown> | unknown[] | null | undefined;

/** A channel message (spec TM2). */
export interface Message {
  id?: string;
  name?: string;
  data?: MessageData;
  encoding?: string | null;
  clientId?: string;
  connectionId?: string;
  connectionKey?: string;
  timestamp?: number;
  extras?: Record<string, unknown>;
  /** Assigned when accepted; the same for every later version of the message. */
  serial?: string;
  /** Wire value of MessageAction (0 = create). */
  action?: number;
  /** The version this message is (serial, timestamp, and who changed it why). */
  version?: MessageVersion;
  /** Summary of the message's annotations (a `message.summary`, or a message read by REST). */
  annotations?: MessageAnnotations;
}

/** A presence message (spec TP3). */
export interface PresenceMessage {
  id?: string;
  action: number;
  clientId?: string;
  connectionId?: string;
  data?: MessageData;
  encoding?: string | null;
  timestamp?: number;
  extras?: Record<string, unknown>;
}

/** Server-issued connection details sent in CONNECTED (spec CD2). */
export interface ConnectionDetails {
  clientId?: string;
  connectionKey: string;
  maxMessageSize: number;
  maxFrameSize: number;
  maxInboundRate: number;
  maxOutboundRate?: number;
  serverId: string;
  connectionStateTtl: number;
  maxIdleInterval: number;
}

/** A realtime protocol frame (spec TR4). */
export interface ProtocolMessage {
  action: number;
  id?: string;
  flags?: number;
  count?: number;
  error?: ErrorInfoJson;
  connectionId?: string;
  connectionKey?: string;
  channel?: string;
  channelSerial?: string | null;
  msgSerial?: number;
  timestamp?: number;
  messages?: Message[];
  presence?: PresenceMessage[];
  annotations?: Annotation[];
  auth?: { accessToken?: string };
  connectionDetails?: ConnectionDetails;
  params?: Record<string, string>;
  res?: Array<{ serials: Array<string | null> }>;
}

/** The request a client signs with a key to obtain a token (spec TE). */
export interface TokenRequest {
  keyName: string;
  ttl?: number;
  capability?: string;
  clientId?: string;
  timestamp: number;
  nonce: string;
  mac: string;
}

/** An issued token (spec TD). */
export interface TokenDetails {
  token: string;
  keyName?: string;
  issued: number;
  expires: number;
  capability: string;
  clientId?: string;
}

/** Capability: resource pattern (channel name, `*`, `prefix*`) to allowed operations. */
export type Capability = Record<string, string[]>;
