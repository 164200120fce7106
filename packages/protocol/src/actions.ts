/** Protocol message actions of Ably's realtime protocol v6 (spec TR2). */
export const Action = {
  HEARTBEAT: 0,
  ACK: 1,
  NACK: 2,
  CONNECT: 3,
  CONNECTED: 4,
  DISCONNECT: 5,
  DISCONNECTED: 6,
  CLOSE: 7,
  CLOSED: 8,
  ERROR: 9,
  ATTACH: 10,
  ATTACHED: 11,
  DETACH: 12,
  DETACHED: 13,
  PRESENCE: 14,
  MESSAGE: 15,
  SYNC: 16,
  AUTH: 17,
  ACTIVATE: 18,
  OBJECT: 19,
  OBJECT_SYNC: 20,
  ANNOTATION: 21,
} as const;
export type ActionCode = (typeof Action)[keyof typeof Action];

/** ProtocolMessage flags (spec TR3): channel state bits and channel mode bits. */
export const Flag = {
  HAS_PRESENCE: 1 << 0,
  HAS_BACKLOG: 1 << 1,
  RESUMED: 1 << 2,
  TRANSIENT: 1 << 4,
  ATTACH_RESUME: 1 << 5,
  HAS_OBJECTS: 1 << 7,
  PRESENCE: 1 << 16,
  PUBLISH: 1 << 17,
  SUBSCRIBE: 1 << 18,
  PRESENCE_SUBSCRIBE: 1 << 19,
  ANNOTATION_PUBLISH: 1 << 21,
  ANNOTATION_SUBSCRIBE: 1 << 22,
  OBJECT_SUBSCRIBE: 1 << 24,
  OBJECT_PUBLISH: 1 << 25,
} as const;

/** The four classic channel modes (presence, publish, subscribe, presence_subscribe). */
export const ALL_MODES = Flag.PRESENCE | Flag.PUBLISH | Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE;

/** Every channel mode bit a client may request in ATTACH and the server grants in ATTACHED (spec TR3q..TR3w). */
export const MODE_FLAGS = ALL_MODES | Flag.ANNOTATION_PUBLISH | Flag.ANNOTATION_SUBSCRIBE | Flag.OBJECT_SUBSCRIBE | Flag.OBJECT_PUBLISH;

/** Channel mode names as the SDK and the `modes` channel param spell them (lower case), with their flag. */
export const ChannelMode = {
  presence: Flag.PRESENCE,
  publish: Flag.PUBLISH,
  subscribe: Flag.SUBSCRIBE,
  presence_subscribe: Flag.PRESENCE_SUBSCRIBE,
  annotation_publish: Flag.ANNOTATION_PUBLISH,
  annotation_subscribe: Flag.ANNOTATION_SUBSCRIBE,
  object_subscribe: Flag.OBJECT_SUBSCRIBE,
  object_publish: Flag.OBJECT_PUBLISH,
} as const;
export type ChannelModeName = keyof typeof ChannelMode;

/** Presence actions on the wire (spec TP2). */
export const PresenceAction = {
  ABSENT: 0,
  PRESENT: 1,
  ENTER: 2,
  LEAVE: 3,
  UPDATE: 4,
} as const;
export type PresenceActionCode = (typeof PresenceAction)[keyof typeof PresenceAction];
