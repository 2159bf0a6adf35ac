import assert from 'node:assert/strict';
import { purchaseTokenOf, searchAttributeTypes, workflowIdFor } from '../../workflows/messages';

describe('the shared vocabulary', () => {
  it('maps a purchase token to its workflow id and back', () => {
    assert.equal(workflowIdFor('ac372e60'), 'screening-ac372e60');
    assert.equal(purchaseTokenOf(workflowIdFor('ac372e60')), 'ac372e60');
  });

  it('recognises no purchase token in another workflow id', () => {
    assert.equal(purchaseTokenOf('bench-ceiling-1'), undefined);
    assert.equal(purchaseTokenOf('screening-'), undefined);
  });

  it('gives the admin tools the search attributes with their types', () => {
    assert.deepEqual(searchAttributeTypes, { ScreeningStatus: 'Keyword', ExternalCustomerId: 'Keyword', ExternalTenantId: 'Keyword', SingleKeyScore: 'Int' });
  });
});
