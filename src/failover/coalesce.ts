// One run at a time, and a request made during a run means exactly one more run after it, however
// many requests came. The daemon needs this twice (decision rounds, state re-reads); it used to
// be two hand-made pairs of booleans (busy/again, resyncing/resyncAgain).
export class Coalescer {
  private running = false;
  private again = false;

  /** A run is under way. */
  get active(): boolean {
    return this.running;
  }

  /**
   * Start a run: true when the caller now owns it; false when one is under way, in which case
   * that run will go round once more (see more()).
   */
  enter(): boolean {
    if (this.running) {
      this.again = true;
      return false;
    }
    this.running = true;
    this.again = false;
    return true;
  }

  /** At the end of a pass: whether another was requested meanwhile (and forget that request). */
  more(): boolean {
    const a = this.again;
    this.again = false;
    return a;
  }

  /** The run is over (call in a finally). */
  leave(): void {
    this.running = false;
  }
}
