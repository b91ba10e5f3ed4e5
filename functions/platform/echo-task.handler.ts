/** Task of the echo state machine: returns its input, so an execution proves the orchestration path. */
export const handler = async (input: unknown): Promise<{ echoed: unknown; at: string }> => ({
  echoed: input,
  at: new Date().toISOString(),
});
