/**
 * `npm run chaos [-- --short] [--only <word>]`: plays whole screening lifecycles against the
 * service's real processes (two API processes, a worker, PostgreSQL, a Temporal server, an SMTP
 * server) while breaking one part at a time, then prints, per fault, what it counted from the mail
 * server's log, the read model and the send ledger. Exits 1 unless every e-mail went out exactly
 * once, no screening was lost and every one ended. The faults live in devkit/chaos/suite.ts.
 */
import { parseArgs } from 'node:util';
import { chaosHeld, fullSettings, renderChaosTable, runChaos, shortSettings } from '../devkit/chaos/suite';

const usage = `usage: npm run chaos [-- --short] [--only <word in a fault's name>]...
  --short   the form npm test runs: shorter outages, fewer screenings (about 7 minutes instead of about 30)`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { short: { type: 'boolean' }, only: { type: 'string', multiple: true }, help: { type: 'boolean' } } }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) return console.log(usage);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const results = await runChaos(values.short ? shortSettings : fullSettings, say, values.only);
  console.log(`\n${renderChaosTable(results)}`);
  for (const r of results) for (const answer of r.deliveries.other) console.log(`unexpected answer during "${r.fault}": ${answer}`);
  if (!chaosHeld(results)) {
    console.log('\nFAILED: a fault led to a duplicate, a loss, a screening not ended, or an answer other than 200/503.');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
