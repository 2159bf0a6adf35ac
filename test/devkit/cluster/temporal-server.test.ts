import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureCertificates } from '../../../devkit/cluster/certificates';
import { startTemporalServer, startUpFailure, type TemporalServerOptions } from '../../../devkit/cluster/temporal-server';
import { freePort } from '../../../devkit/embedded/free-port';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../../devkit/embedded/postgres';
import { findServer } from '../../../devkit/temporal-server-install';
import { testEnvironment } from '../../support/environment';

const portsOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'ports.json'), 'utf8'));

/** `listen tcp 127.0.0.1:P: bind: address already in use`, as the server logs a port it cannot take. */
const bindFailure = /Failed to start gRPC listener: listen tcp 127\.0\.0\.1:\d+: bind: address already in use/;

describe("the cluster's Temporal server start-up", () => {
  describe('why the server stopped, read from its log', () => {
    it('names the last fatal entry with its error', () => {
      const log = [
        '2026/11/30 21:51:31 Loading config files=[/data/config/development.yaml]',
        '{"level":"warn","msg":"network dial error","error":"connection refused"}',
        '{"level":"fatal","ts":"2026-11-30T21:51:31.647Z","msg":"Failed to start gRPC listener","error":"listen tcp 127.0.0.1:29592: bind: address already in use","service":"frontend"}',
        '',
      ].join('\n');
      assert.equal(startUpFailure(log), 'Failed to start gRPC listener: listen tcp 127.0.0.1:29592: bind: address already in use');
    });

    it('falls back to the last line when no entry is fatal', () => {
      const log = '{"level":"warn","msg":"slow"}\nUnable to start server. Error: failed to start service history: context deadline exceeded\n\n';
      assert.equal(startUpFailure(log), 'Unable to start server. Error: failed to start service history: context deadline exceeded');
    });

    it('says so when the log is empty', () => {
      assert.equal(startUpFailure('\n'), 'nothing in its log');
    });
  });

  describe('on the real server', function () {
    // The first start creates Temporal's databases and schemas.
    this.timeout(180_000);
    let root: string;
    let postgres: EmbeddedPostgres;
    let options: (dir: string, say?: (line: string) => void) => TemporalServerOptions;

    before(async () => {
      const binaries = findServer();
      assert.ok(binaries, 'the Temporal server is not built (npm run setup:cluster)');
      root = path.join(testEnvironment().root, 'temporal-server-start');
      mkdirSync(root, { recursive: true });
      chmodSync(root, 0o755);
      const port = await freePort();
      postgres = await startEmbeddedPostgres({ dir: path.join(root, 'postgres'), port, dirSetting: 'TMPDIR' });
      const certificates = ensureCertificates(path.join(root, 'certs'));
      options = (dir, say) => ({
        binaries,
        dir,
        postgres: { host: '127.0.0.1', port, user: 'postgres', password: 'postgres' },
        certificates,
        say,
      });
    });

    after(() => postgres?.stop());

    it('keeps its ports across restarts, and takes new ones when a kept one is in use', async () => {
      const dir = path.join(root, 'kept');
      const first = await startTemporalServer(options(dir));
      await first.stop();
      const again = await startTemporalServer(options(dir));
      assert.equal(again.address, first.address);
      await again.stop();

      // Another process now listens on the frontend's port.
      const squatter = net.createServer();
      await new Promise<void>((resolve) => squatter.listen(portsOf(dir).frontend.grpcPort, '127.0.0.1', resolve));
      try {
        const moved = await startTemporalServer(options(dir));
        assert.notEqual(moved.address, first.address);
        assert.equal(moved.address, `127.0.0.1:${portsOf(dir).frontend.grpcPort}`);
        await moved.stop();
      } finally {
        squatter.close();
      }
    });

    it('starts again on other ports when a port is taken between its choice and the bind, saying why', async () => {
      const dir = path.join(root, 'raced');
      const first = await startTemporalServer(options(dir));
      await first.stop();
      // Two services on one port: each is free when checked, and the second bind fails, as a port another process took in between.
      const ports = portsOf(dir);
      ports.history.grpcPort = ports.frontend.grpcPort;
      writeFileSync(path.join(dir, 'ports.json'), JSON.stringify(ports));

      const lines: string[] = [];
      const server = await startTemporalServer(options(dir, (line) => lines.push(line)));
      await server.stop();
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, /^the Temporal server exited during start-up \(1: /);
      assert.match(lines[0]!, bindFailure);
      assert.match(lines[0]!, /starting it again on other ports \(attempt 2 of 3\)$/);
      assert.notEqual(portsOf(dir).history.grpcPort, portsOf(dir).frontend.grpcPort);
    });

    it('gives up after three starts, naming what the last one logged', async () => {
      const dir = path.join(root, 'failing');
      mkdirSync(dir, { recursive: true });
      // A server that always stops as the real one does when its port is taken.
      const failing = path.join(dir, 'failing-server.sh');
      writeFileSync(
        failing,
        '#!/bin/sh\necho \'{"level":"fatal","msg":"Failed to start gRPC listener","error":"listen tcp 127.0.0.1:20001: bind: address already in use"}\'\nexit 1\n',
        { mode: 0o755 },
      );
      const lines: string[] = [];
      const given = options(dir, (line) => lines.push(line));
      await assert.rejects(startTemporalServer({ ...given, binaries: { ...given.binaries, server: failing } }), (error: Error) => {
        assert.match(
          error.message,
          /^the Temporal server exited during start-up \(1: Failed to start gRPC listener: listen tcp 127\.0\.0\.1:20001: bind: address already in use\); see /,
        );
        assert.match(error.message, /temporal-server\.log$/);
        return true;
      });
      assert.deepEqual(
        lines.map((line) => line.match(/attempt \d of 3/)?.[0]),
        ['attempt 2 of 3', 'attempt 3 of 3'],
      );
    });
  });
});
