/**
 * The failure converter of the service's data converter (loaded by path: the worker bundles it into
 * the workflow code as well). It moves each failure's message and stack trace into an encoded
 * attribute, so the payload codec encrypts them like any payload: an SMTP refusal quotes the
 * recipient's address, and a failure is kept in the history.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
