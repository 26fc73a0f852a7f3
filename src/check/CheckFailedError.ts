import { ErrorKind, SharpnessError } from '../errors.ts';

/**
 * A check found drift (or a selftest failed): the CLI prints the message on one line and
 * exits 1, the status the README reserves for a failed check. The table has already been
 * printed on stdout.
 */
export class CheckFailedError extends SharpnessError {
  // errors.ts has no kind for a failed check; the exit status is what matters to the CLI.
  override readonly exitCode: number = 1;
  constructor(message: string) {
    super(ErrorKind.numeric, message);
    this.name = 'CheckFailedError';
  }
}
