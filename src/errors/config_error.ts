/**
 * {@linkcode ConfigError}.
 *
 * @module
 */

/** Options, arguments or environment that cannot work; the message says which and why. */
export class ConfigError extends Error {
  /** Creates a configuration error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}
