import { msToTs } from '@temporalio/common/lib/time';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { projectRoot } from '../../../devkit/temporal-binaries';
import { connectClient } from '../../../src/temporal/connect';
import { prepareNamespace, retentionOf } from '../../../src/temporal/search-attributes';
import { status } from '@grpc/grpc-js';
import { uniqueToken } from '../../../devkit/builders';
import { testEnvironment } from '../../support/environment';

const run = promisify(execFile);

describe('npm run temporal:register', function () {
  this.timeout(60_000);

  it('registers the search attributes and sets the namespace retention from TEMPORAL_RETENTION', async () => {
    const env = testEnvironment();
    const namespace = uniqueToken('ns');
    const client = await connectClient(env.temporalAddress, 'default');
    try {
      await client.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      await run(process.execPath, ['--import', 'tsx', 'cli/temporal-register.ts'], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: namespace, TEMPORAL_RETENTION: '45d', LOG_LEVEL: 'silent' },
      });
      assert.equal(await retentionOf(client.connection, namespace), 45 * 24 * 3_600_000);
      const attributes = await client.connection.operatorService.listSearchAttributes({ namespace });
      assert.deepEqual(Object.keys(attributes.customAttributes ?? {}).sort(), ['ExternalCustomerId', 'ExternalTenantId', 'ScreeningStatus', 'SingleKeyScore']);
    } finally {
      await client.connection.close();
    }
  });

  it('registers the search attributes where the retention may not be changed (Temporal Cloud answers PERMISSION_DENIED)', async () => {
    const added: string[][] = [];
    const denied = Object.assign(new Error('Request unauthorized.'), { code: status.PERMISSION_DENIED });
    const cloudLike = {
      workflowService: {
        describeNamespace: async () => ({}),
        updateNamespace: async () => Promise.reject(denied),
      },
      operatorService: {
        listSearchAttributes: async () => ({ customAttributes: {} }),
        addSearchAttributes: async (request: { searchAttributes: Record<string, unknown> }) => void added.push(Object.keys(request.searchAttributes)),
      },
    } as unknown as Parameters<typeof prepareNamespace>[0];
    const prepared = await prepareNamespace(cloudLike, 'ns.acct', 30 * 24 * 3_600_000);
    assert.equal(prepared.namespace, 'not permitted');
    assert.deepEqual(added, [['ScreeningStatus', 'ExternalCustomerId', 'ExternalTenantId', 'SingleKeyScore']]);
  });

  it('creates a namespace the cluster lacks, and is safe to run twice', async () => {
    const env = testEnvironment();
    const namespace = uniqueToken('ns');
    const register = () =>
      run(process.execPath, ['--import', 'tsx', 'cli/temporal-register.ts'], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: namespace, TEMPORAL_RETENTION: '30d', LOG_LEVEL: 'silent' },
      });
    const first = await register();
    assert.match(first.stdout, new RegExp(`namespace ${namespace}: created, retention 30d`));
    assert.match(first.stdout, /search attributes: registered ScreeningStatus/);
    const second = await register();
    assert.match(second.stdout, new RegExp(`namespace ${namespace}: found, retention 30d`));
    assert.match(second.stdout, /search attributes: all present/);
    const client = await connectClient(env.temporalAddress, namespace);
    try {
      assert.equal(await retentionOf(client.connection, namespace), 30 * 24 * 3_600_000);
    } finally {
      await client.connection.close();
    }
  });
});
