/** A failure the agent explains to the person running it, in words, without a stack trace. */
export class AgentError extends Error {
  override name = 'AgentError';
}
