import type { MessageData } from './types.js';

/**
 * Mutable messages and annotations on the wire (ably-js 2.28 `types/message.ts`, `types/annotation.ts`; spec TM2,
 * TM7, TM8, TAN). A message keeps its `serial` for life; each update, delete or append makes a new `version`.
 */

/** Message actions (spec TM5), by their position in ably-js's `actions` array: the number is what travels. */
export const MessageAction = {
  CREATE: 0,
  UPDATE: 1,
  DELETE: 2,
  META: 3,
  SUMMARY: 4,
  APPEND: 5,
} as const;
export type MessageActionCode = (typeof MessageAction)[keyof typeof MessageAction];

/** The SDK's names of the message actions (what `Message.action` shows), indexed by wire value. */
export const MESSAGE_ACTION_NAMES = ['message.create', 'message.update', 'message.delete', 'meta', 'message.summary', 'message.append'] as const;
export type MessageActionName = (typeof MESSAGE_ACTION_NAMES)[number];

/** Annotation actions (spec TAN2b): `annotation.create` = 0, `annotation.delete` = 1. */
export const AnnotationAction = {
  CREATE: 0,
  DELETE: 1,
} as const;
export type AnnotationActionCode = (typeof AnnotationAction)[keyof typeof AnnotationAction];

/** Who changed a message, how, and why: what an update/delete/append sends as `version` (ably MessageOperation). */
export interface MessageOperation {
  clientId?: string;
  description?: string;
  metadata?: Record<string, string>;
}

/** One version of a message (spec TM2s): the create's is its own serial and timestamp. */
export interface MessageVersion extends MessageOperation {
  /** The version's serial: the message serial for the create, a later serial (sorting after it) for each change. */
  serial?: string;
  timestamp?: number;
}

/** Per-name value of distinct.v1 and unique.v1, and the whole value of flag.v1 (spec TM7c1). */
export interface SummaryClientIdList {
  total: number;
  clientIds: string[];
  clipped: boolean;
}

/** Per-name value of multiple.v1 (spec TM7d1). */
export interface SummaryClientIdCounts {
  total: number;
  clientIds: Record<string, number>;
  totalUnidentified: number;
  clipped: boolean;
  totalClientIds: number;
}

/** Value of total.v1. */
export interface SummaryTotal {
  total: number;
}

/** One annotation type's summary: per name for distinct/unique/multiple, flat for flag/total. */
export type SummaryEntry = Record<string, SummaryClientIdList> | Record<string, SummaryClientIdCounts> | SummaryClientIdList | SummaryTotal;

/** `Message.annotations` (spec TM2u): the summary of its annotations, keyed by annotation type. */
export interface MessageAnnotations {
  summary: Record<string, SummaryEntry>;
}

/** An annotation on a message (spec TAN), as it travels in ANNOTATION frames and the REST annotations API. */
export interface Annotation {
  id?: string;
  action?: number;
  clientId?: string;
  connectionId?: string;
  timestamp?: number;
  /** The annotation's own serial, sorting after the annotated message's. */
  serial?: string;
  /** Serial of the annotated message. */
  messageSerial?: string;
  /** `<namespace>:<aggregation>`, e.g. `reaction:distinct.v1`. */
  type?: string;
  name?: string;
  /** multiple.v1: how many this annotation counts for (default 1). */
  count?: number;
  data?: MessageData;
  encoding?: string | null;
  extras?: Record<string, unknown>;
}

/** What an update, delete or append answers (ably UpdateDeleteResult): the new version's serial. */
export interface UpdateDeleteResult {
  versionSerial: string | null;
}
