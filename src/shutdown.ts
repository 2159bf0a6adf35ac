import type { Logger } from './logger';

/**
 * Runs registered cleanups in reverse order of registration on SIGINT/SIGTERM (or on demand).
 * A second signal while shutting down exits at once.
 */
export class Shutdown {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private running?: Promise<void>;

  constructor(private readonly logger: Logger) {}

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  /** Installs the signal handlers; `onDone` receives the exit code. */
  listen(onDone: (code: number) => void): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (this.running) {
          this.logger.warn(`${signal} again: exiting without waiting`);
          onDone(130);
          return;
        }
        this.logger.info(`${signal} received: shutting down`);
        void this.run().then(() => onDone(0));
      });
    }
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      // Draining the worker waits on native code that holds no event-loop handle; without this
      // timer Node would consider itself idle and exit half-way through the sequence.
      const keepAlive = setInterval(() => undefined, 1_000);
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
          this.logger.info(`stopped ${step.name}`);
        } catch (error) {
          this.logger.error({ err: error }, `stopping ${step.name} failed`);
        }
      }
      clearInterval(keepAlive);
    })();
    return this.running;
  }
}
