/**
 * The memory stores keep each channel's entries oldest first in an array with a moving head: dropping the oldest
 * moves the head, and the dropped prefix is cut off in bulk once it is most of the array (amortised O(1) per
 * drop, where `shift` or a Map's first key would cost per drop), or at once when nothing is left.
 */
export function cutDroppedPrefix<T>(items: T[], head: number): { items: T[]; head: number } {
  if (head > 1024 && head * 2 > items.length) return { items: items.slice(head), head: 0 };
  if (head === items.length && head > 0) return { items: [], head: 0 };
  return { items, head };
}
