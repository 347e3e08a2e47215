// The typed error of a data directory the node must not start from: it belongs to another
// cluster or node, its format is unknown, or a file is missing, truncated or corrupt. Refusing
// is the only safe answer: serving from it could break Raft's promises (docs/errors.md).
import { TroupeError } from '@troupe/runtime';

/** The data directory (or one file in it) is not one this node may use. Definite. */
export class DataDirError extends TroupeError {
  override readonly name = 'DataDirError';
  /** Absolute path of the offending file (or of the directory itself). */
  readonly file: string;
  /** What is wrong with it, in words an operator can act on. */
  readonly problem: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_DATA_DIR', `data dir refused: ${file}: ${problem}`, options);
    this.file = file;
    this.problem = problem;
  }
}
