/**
 * The last check before zkai writes a source file it generated (circom model templates, Solidity verifiers): no
 * string an uploader chose may reach a compiler. The generators already build every identifier and comment from
 * indices, numbers and zkai's own enums; this guard makes a regression fail loudly instead of compiling a backdoor.
 *
 * Two checks, both on the final text:
 * - every line matches the generator's allow-list of characters (plus, where given, a few whole-line patterns such as
 *   `include "quant.circom";`): no control character, so nothing can end a `//` comment early (a newline, a carriage
 *   return, a Unicode line separator), and no quote outside those patterns;
 * - no untrusted string that could change the meaning of source occurs in it. Strings of identifier characters only
 *   (`input`, `x0`, `Gemm_3`) are skipped: they cannot break out of a comment or an expression, and such short words
 *   occur in honest sources by chance; so are strings under 3 characters. Anything longer with another character
 *   (`/fc1/Gemm`, `a\nsignal input evil;`) must not appear.
 */
import { ZkaiError } from './errors.ts';

export interface SourceGuard {
  /** What the source is, for the error message (e.g. "generated circom"). */
  what: string;
  /** Every line must match this (anchored) character allow-list, or one of `lines`. */
  chars: RegExp;
  /** Whole lines allowed besides `chars` (e.g. includes, a licence header). */
  lines?: readonly RegExp[];
}

const IDENTIFIER_ONLY = /^[A-Za-z0-9_]*$/;

/**
 * Throws INTERNAL (a generator bug, never the uploader's fault to fix) if `source` breaks `guard` or contains one of
 * the `untrusted` strings (see the module comment for which count).
 */
export function assertSafeGeneratedSource(source: string, guard: SourceGuard, untrusted: Iterable<string> = []): void {
  // split on \n only: a \r or U+2028 left inside a line then fails the character allow-list.
  source.split('\n').forEach((line, i) => {
    if (guard.chars.test(line) || guard.lines?.some((re) => re.test(line))) return;
    throw new ZkaiError('INTERNAL', `${guard.what}: line ${i + 1} has a character outside the generator's allow-list`, {
      line: i + 1,
    });
  });
  for (const s of untrusted) {
    if (typeof s !== 'string' || s.length < 3 || IDENTIFIER_ONLY.test(s)) continue;
    if (source.includes(s)) {
      throw new ZkaiError('INTERNAL', `${guard.what}: contains a string from the uploaded file (${JSON.stringify(s.slice(0, 40))})`);
    }
  }
}
