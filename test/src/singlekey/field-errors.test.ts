import assert from 'node:assert/strict';
import { fieldErrorsOf } from '../../../src/singlekey/client';

describe("SingleKey's validation errors as fields", () => {
  it('reads a list of "field: message" lines', () => {
    assert.deepEqual(fieldErrorsOf(JSON.stringify({ success: false, errors: ['ten_email: required for tenant_form', 'no field here'] })), [
      { field: 'ten_email', message: 'required for tenant_form' },
      { field: '', message: 'no field here' },
    ]);
  });

  it('reads an object of field to messages', () => {
    assert.deepEqual(fieldErrorsOf(JSON.stringify({ ll_email: ['Enter a valid email address.'], run_now: 'bad' })), [
      { field: 'll_email', message: 'Enter a valid email address.' },
      { field: 'run_now', message: 'bad' },
    ]);
  });

  it('keeps a body that is not JSON as one message', () => {
    assert.deepEqual(fieldErrorsOf('Bad Request'), [{ field: '', message: 'Bad Request' }]);
  });
});
