/** The one matcher for coded errors in the tests: `assert.throws(f, coded('CODE', /message/))`. */
import assert from 'node:assert/strict';
import { ActbenchError } from '../src/errors.js';

export interface CodedExpect {
  /** the message matches */
  message?: RegExp;
  /** the error names this field */
  field?: string;
  /** the message names this (a file, a model) */
  names?: string;
  /** anything else to assert on the error */
  check?: (e: ActbenchError) => void;
}

/** A matcher for assert.throws / assert.rejects: an ActbenchError with this code (and what `expect` asks). */
export function coded(code: string, expect: RegExp | CodedExpect = {}): (e: unknown) => true {
  const x: CodedExpect = expect instanceof RegExp ? { message: expect } : expect;
  return (e: unknown) => {
    assert.ok(e instanceof ActbenchError, `expected an ActbenchError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (x.message) assert.match(e.message, x.message);
    if (x.field !== undefined) assert.equal(e.field, x.field, e.message);
    if (x.names !== undefined) assert.ok(e.message.includes(x.names), `names ${x.names}: ${e.message}`);
    x.check?.(e);
    return true;
  };
}
