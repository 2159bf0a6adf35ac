import assert from 'node:assert/strict';
import { chaosHeld, type FaultResult, renderChaosTable, runChaos, shortSettings } from '../../devkit/chaos/suite';

/**
 * The short form of `npm run chaos`: every fault on real processes (two API processes, a worker,
 * PostgreSQL, a Temporal dev server, an SMTP server), with shorter outages and fewer screenings.
 * Each fault must have happened (a send cut off, 503s, refused connections), and none may have
 * sent an e-mail twice, lost one or a screening, left one unfinished or answered other than 200/503.
 */
describe('the chaos suite, short form (real processes)', function () {
  this.timeout(20 * 60_000);
  let results: FaultResult[];
  const byFault = (word: string) => results.find((r) => r.fault.includes(word))!;

  before(async () => {
    results = await runChaos(shortSettings, (line) => console.log(`      ${line.trim()}`));
    console.log(renderChaosTable(results));
  });

  it('runs every fault', () => {
    assert.deepEqual(
      results.map((r) => r.fault),
      ['worker killed mid-send, 3 times', 'Temporal server stopped and restarted', 'PostgreSQL stopped', 'SMTP refused', 'API process killed under load'],
    );
  });

  it('sends every e-mail exactly once, loses nothing and ends every screening, whatever broke', () => {
    assert.ok(chaosHeld(results), renderChaosTable(results));
    for (const r of results) {
      assert.deepEqual(r.deliveries.other, [], r.fault);
      // Each screening's landlord hears of its submission (unless the completion came first) and of its completion.
      assert.ok(r.emailsSent >= r.screenings, `${r.fault}: ${r.emailsSent} e-mails for ${r.screenings} screenings`);
    }
  });

  it('really broke each part', () => {
    assert.ok(byFault('worker killed').emailsAbandoned >= 3, 'sends cut off by the kills or the slow mail server');
    // The edge answers from the webhook inbox while Temporal is away: deliveries wait there, not at SingleKey.
    assert.match(byFault('Temporal').note, /the inbox held up to [1-9]\d* deliveries/);
    assert.ok(byFault('API process').deliveries.noAnswer > 0, 'deliveries that reached a killed API process');
  });
});
