/**
 * Whether a program the tests lean on is installed here.
 *
 * @module
 */

/** Whether `command args…` runs and exits 0 (false when the program is not installed). */
export async function commandSucceeds(command: string, args: readonly string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args: [...args],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}
