/** Phases of a boot test and their times, printed by the tests (no timed assertions). */
export class Phases {
  private readonly phases: Array<[string, number]> = [];

  /** Runs `work` and records how long it took. */
  public async timed<T>(phase: string, work: () => T | Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await work();
    } finally {
      this.phases.push([phase, (Date.now() - start) / 1000]);
    }
  }

  /** Records a part of the last phase, measured elsewhere (in the guest): shown indented, not added to the total. */
  public part(phase: string, seconds: number): void {
    this.phases.push([`  ${phase}`, seconds]);
  }

  /** One line per phase, then the total of the phases (not their parts). */
  public lines(width = 34): string[] {
    const total = this.phases.filter(([phase]) => !phase.startsWith(' ')).reduce((sum, [, s]) => sum + s, 0);
    return [...this.phases.map(([phase, s]) => `  ${phase.padEnd(width)} ${s.toFixed(1)} s`), `  ${'total'.padEnd(width)} ${total.toFixed(1)} s`];
  }
}
