/**
 * Text rules for identities: which characters a name, a password or an attribute may hold, and the one form
 * in which usernames are compared (uniqueness, login and the brute-force throttle alike).
 */

/**
 * Unicode general category Cc: C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F). They are never part
 * of a name someone types, a NUL cuts SQLite's statement text short and PostgreSQL refuses it outright, and a
 * lone surrogate is not text at all (it cannot be encoded as UTF-8).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_OR_LONE_SURROGATE = /[\p{Cc}\p{Cs}]/u;
/** The same, but TAB, LF and CR are allowed: the XML 1.0 §2.2 Char production minus what it already refuses. */
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\p{Cs}]/u;

/** True when `s` holds a control character (Cc) or a lone surrogate. */
export function hasControlCharacters(s: string): boolean {
  return CONTROL_OR_LONE_SURROGATE.test(s);
}

/** True when `s` holds a control character other than TAB, LF and CR, or a lone surrogate. */
export function hasControlCharactersBesidesLineBreaks(s: string): boolean {
  return CONTROL_BUT_LINE_BREAKS.test(s);
}

/**
 * The comparison form of a username: NFC (Unicode UAX #15), then full case folding (Unicode §3.13), then NFC
 * again, as RFC 8265 §3.4's UsernameCaseMapped profile compares. JavaScript has no case-folding primitive:
 * upper- then lower-casing is full folding (ß → ss, ŉ → ʼn) except for the final sigma that toLowerCase keeps,
 * which folds to σ. Usernames are ASCII today (USERNAME_PATTERN), where all of this is toLowerCase; the throttle
 * sees whatever a client sends, and uses the same form so that "Alice" and "alice" share one count.
 */
export function foldUsername(s: string): string {
  return s.normalize('NFC').toUpperCase().toLowerCase().replace(/ς/g, 'σ').normalize('NFC');
}
