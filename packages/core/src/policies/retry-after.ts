/**
 * `Retry-After` (RFC 9110 §10.2.3): either delta-seconds (a non-negative integer) or an
 * HTTP-date. Returns the delay in milliseconds, `0` for a date in the past, and
 * `undefined` for anything else (negative or fractional seconds, free text, an empty value).
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isFinite(seconds) ? seconds * 1000 : undefined;
  }
  const date = parseHttpDate(text);
  if (date === undefined) return undefined;
  return Math.max(0, date - now);
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (the one senders must use). */
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
/** Obsolete RFC 850 date, e.g. `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC_850 = new RegExp(`^${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`);
/** Obsolete asctime date, e.g. `Sun Nov  6 08:49:37 1994` (always UTC). */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

function parseHttpDate(text: string): number | undefined {
  let parsed: number;
  if (IMF_FIXDATE.test(text) || RFC_850.test(text)) parsed = Date.parse(text);
  else if (ASCTIME.test(text)) parsed = Date.parse(`${text} GMT`);
  else return undefined;
  return Number.isNaN(parsed) ? undefined : parsed;
}
