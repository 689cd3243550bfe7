// Backpressure: while the supervisor does not read what the runner sends, the runner reads no new
// input. A write never blocks: what the channel cannot take now waits in this process. So each
// channel counts the bytes written and not yet taken (their write's callback has not run), and past
// HIGH_WATER stops reading its input until it is down to LOW_WATER. The same bounds, and the same
// reasons, as the Python runner's (runners/python/motia_runner/backpressure.py); see there why only
// new input stops and no sender ever waits.

/** Bytes waiting to be taken by the channel past which the runner reads no new input. */
const HIGH_WATER = 64 * 1024;
/** ...and resumes once they are down to this: hysteresis, as in the Python runner. */
const LOW_WATER = 16 * 1024;

/** Counts what a channel holds unwritten; ``pause`` and ``resume`` its input at the bounds. */
export class OutputBound {
  private waiting = 0;
  private paused = false;
  private released = false;

  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}

  /** ``size`` bytes handed to the channel; call ``taken(size)`` from their write's callback. */
  queued(size: number): void {
    this.waiting += size;
    if (this.waiting > HIGH_WATER && !this.paused && !this.released) {
      this.paused = true;
      this.pause();
    }
  }

  taken(size: number): void {
    this.waiting -= size;
    if (this.paused && this.waiting <= LOW_WATER) {
      this.paused = false;
      this.resume();
    }
  }

  /** The channel will take nothing more: read on (and so see its end) from now on. */
  release(): void {
    this.released = true;
    if (!this.paused) return;
    this.paused = false;
    this.resume();
  }
}
