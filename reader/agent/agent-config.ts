import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AgentError } from './agent-error.ts';

/** What enrolment leaves on the workstation: who the agent is, and its credential. */
export interface AgentConfig {
  server: string;
  workstationId: string;
  workstationName: string;
  credential: string;
  enrolledAt: string;
}

const xdg = (variable: string, fallback: string) =>
  process.env[variable] || join(homedir(), fallback);

/** `$XDG_CONFIG_HOME/smartcard-ra/agent.json` (~/.config by default). */
export const defaultConfigPath = () =>
  join(xdg('XDG_CONFIG_HOME', '.config'), 'smartcard-ra', 'agent.json');

/** `$XDG_STATE_HOME/smartcard-ra/queue` (~/.local/state by default): observations not yet delivered. */
export const defaultQueueDir = () =>
  join(xdg('XDG_STATE_HOME', '.local/state'), 'smartcard-ra', 'queue');

/** Writes the credential file so that only this user can read it, replacing any earlier one whole. */
export function saveAgentConfig(path: string, config: AgentConfig) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600); // in case the file was there already with a looser mode
  renameSync(temporary, path);
}

/** Reads the credential file, refusing one that others could read (as ssh does with keys). */
export function loadAgentConfig(path: string): AgentConfig {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new AgentError(
      `This workstation is not enrolled (no ${path}). Ask an RA manager to register it, then run: npm run agent -- enrol --server URL --code CODE`,
    );
  }
  if (mode & 0o077) {
    throw new AgentError(
      `${path} can be read by other users of this machine, and it holds the workstation's credential. Run: chmod 600 ${path}`,
    );
  }
  let config: AgentConfig;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as AgentConfig;
  } catch (err) {
    throw new AgentError(`${path} is not an agent configuration: ${(err as Error).message}`);
  }
  if (typeof config.server !== 'string' || typeof config.credential !== 'string') {
    throw new AgentError(`${path} is not an agent configuration: no server or credential`);
  }
  return config;
}
