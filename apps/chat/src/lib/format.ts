/**
 * "by NAME at h:mm am/pm", with "on D/M" when the message is not from today - the original chat's line.
 * `now` is a parameter so the rule about "today" is testable.
 */
export function byline(username: string, timestamp: number, now: Date = new Date()): string {
  const at = new Date(timestamp);
  const sameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  const day = sameDay ? '' : ` on ${at.getDate()}/${at.getMonth() + 1}${at.getFullYear() === now.getFullYear() ? '' : `/${at.getFullYear()}`}`;
  return `by ${username}${day} at ${clock(at)}`;
}

/** h:mm am/pm in local time. */
export function clock(at: Date): string {
  const h = at.getHours();
  const m = String(at.getMinutes()).padStart(2, '0');
  return `${h % 12 === 0 ? 12 : h % 12}:${m} ${h < 12 ? 'am' : 'pm'}`;
}

/** The full date and time, for a tooltip. */
export function fullDate(timestamp: number): string {
  return new Date(timestamp).toLocaleString();
}
