/**
 * {@linkcode UnknownIdError}.
 *
 * @module
 */

/** A task id that the history has no event of. */
export class UnknownIdError extends Error {
  /** The id. */
  readonly id: string;

  /** Creates the error for `id`, not in the history of `queue`; `from` says where reading began. */
  constructor(id: string, queue: string, from: string) {
    super(
      `No task '${id}' in the history of '${queue}' (read from ${from}): check the id and --queue, or give --since an earlier time if it is older (events are kept 7 days by default)`,
    );
    this.name = "UnknownIdError";
    this.id = id;
  }
}
