import { search } from 'jmespath';
import { ErrorCode, ErrorInfo, type Message } from '@rowcast/protocol';

/** Whether a message passes a subscription filter. */
export type MessageFilter = (message: Message) => boolean;

/** Longest filter expression accepted, so a qualifier cannot make every message cost an unbounded evaluation. */
const MAX_EXPRESSION_LENGTH = 1024;

/**
 * What a filter expression sees of a message, as on Ably: its `name` and its `extras.headers` as `headers`
 * (`name == \`"greeting"\` && headers.priority > \`2\``).
 */
function filterView(message: Message): Record<string, unknown> {
  const headers = message.extras?.headers;
  return {
    name: message.name ?? null,
    headers: headers !== null && typeof headers === 'object' && !Array.isArray(headers) ? headers : {},
  };
}

/** JMESPath truthiness: false, null, empty strings, arrays and objects are false. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/**
 * Compiles a subscription filter (Ably's `channels.getDerived(name, { filter })`): a JMESPath expression over
 * `name` and `headers`, with `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, `!`, parentheses, backtick JSON
 * literals and quoted raw strings. A message passes when the expression is truthy. Throws ErrorInfo 40010 for
 * an expression that does not parse (the channel name carrying it is invalid).
 */
export function compileFilter(expression: string): MessageFilter {
  if (expression.length === 0 || expression.length > MAX_EXPRESSION_LENGTH) {
    throw new ErrorInfo(`Channel filter must be 1 to ${MAX_EXPRESSION_LENGTH} characters`, ErrorCode.INVALID_CHANNEL_NAME, 400);
  }
  try {
    // Parses the expression (the library parses on every search; a parse error shows here, once).
    search(filterView({}), expression);
  } catch (err) {
    throw new ErrorInfo(`Invalid channel filter "${expression}": ${(err as Error).message}`, ErrorCode.INVALID_CHANNEL_NAME, 400);
  }
  return (message) => {
    try {
      return truthy(search(filterView(message), expression));
    } catch {
      // A comparison JMESPath refuses (e.g. ordering strings) is a non-match, not a failed delivery.
      return false;
    }
  };
}
