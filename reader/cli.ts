import { parseArgs } from 'node:util';
import {
  defaultConfigPath,
  defaultQueueDir,
  loadAgentConfig,
  saveAgentConfig,
} from './agent/agent-config.ts';
import { AgentError } from './agent/agent-error.ts';
import type { JobStep } from './agent/card-job/job-protocol.ts';
import { jobServerClient } from './agent/card-job/job-server-client.ts';
import { type CardJobInput, runCardJob } from './agent/card-job/run-card-job.ts';
import { CardReporter } from './agent/card-reporter.ts';
import { Outbox } from './agent/outbox.ts';
import {
  CardReadError,
  type PivReading,
  readPivCard,
  type Transmit,
} from './agent/read-piv-card.ts';
import { checkServerUrl, enrol, observationSender } from './agent/server-link.ts';
import { defaultLocalPort } from './local-api/default-port.ts';
import { startLocalApi } from './local-api/local-api.ts';
import { PcscUnavailableError, PcscWatcher } from './pcsc/pcsc-watcher.ts';

const usage = `Smartcard RA reader agent.

  npm run agent -- readers                        list the PC/SC readers and whether a card is in each
  npm run agent -- read [--reader NAME] [--json]  read the card in a reader: identity, certificates, PIN state
  npm run agent -- serve-local --origin URL [--port 47047]
                                                  answer the RA web app's "Check my card" page on this
                                                  workstation (127.0.0.1 only, that origin only); runs
                                                  no card jobs (the workstation is not enrolled)
  npm run agent -- enrol --server URL --code CODE  enrol this workstation with the one-time code an RA
                                                  manager gave; keeps its credential in --config
  npm run agent -- watch [--server URL]           run as the workstation agent: report every card put
                                                  in a reader to the RA server it enrolled with (--server,
                                                  if given, must be that one), queueing on disk while
                                                  the server cannot be reached; also answers that server's
                                                  pages on 127.0.0.1: "Check my card", as serve-local does,
                                                  and the card jobs they ask for (issue, renew, unlock:
                                                  the server decides, the agent does it on the card)

Options: --config FILE (default ~/.config/smartcard-ra/agent.json, readable by this user only),
--queue DIR (default ~/.local/state/smartcard-ra/queue), --retry-max-seconds N (longest wait
between tries while the server cannot be reached; default 60), --port N (the local API's port
on 127.0.0.1; default ${defaultLocalPort}), --origin URL (another origin the local API answers).

Reading a card never asks for a PIN and never spends a PIN try. A card job takes the PIN the
page gives it (new, or the holder's own for self-service renewal) to the card only: never to
the server, never to a log. --virtual also uses vpcd's "Virtual PCD" readers, which
production ignores.`;

/** The origins given with --origin, each checked to be a web address. */
function webOrigins(given: string[] | undefined): string[] {
  return (given ?? []).map((o) => {
    try {
      return new URL(o).origin;
    } catch {
      throw new AgentError(
        `--origin "${o}" is not a web address; give the RA server's, as https://…`,
      );
    }
  });
}

/** --port: the local API's port on 127.0.0.1 (0: any free one). */
function localPort(given: string): number {
  const port = Number(given);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AgentError(`--port takes a port number (0 to 65535), not "${given}"`);
  return port;
}

/** Waits until pcscd has told us its readers and the cards in them. */
async function settled(watcher: PcscWatcher, wantCard: (w: PcscWatcher) => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !wantCard(watcher)) await new Promise((r) => setTimeout(r, 50));
}

function human(reader: string, atr: Buffer, r: PivReading): string {
  const lines = [`Reader: ${reader}`, `ATR: ${atr.toString('hex')}`, `Card type: ${r.cardType}`];
  if (r.chuid) lines.push(`CHUID GUID: ${r.chuid.guid ?? '-'}  expiry: ${r.chuid.expiry ?? '-'}`);
  if (r.chuidError) lines.push(`CHUID: unreadable: ${r.chuidError}`);
  if (r.serialNumber) lines.push(`Card serial number: ${r.serialNumber}`);
  lines.push(
    `PIN: ${r.pin.blocked ? 'BLOCKED' : r.pin.verified ? 'verified' : `${r.pin.triesLeft ?? '?'} tries left`}`,
  );
  if (!r.certificates.length) lines.push('Certificates: none');
  for (const c of r.certificates) {
    if ('error' in c) lines.push(`Slot ${c.slot}: unreadable: ${c.error}`);
    else {
      const days = Math.floor((Date.parse(c.certificate.notAfter) - Date.now()) / 86_400_000);
      lines.push(
        `Slot ${c.slot}: ${c.certificate.subject}`,
        `  issuer ${c.certificate.issuer}`,
        `  valid until ${c.certificate.notAfter} (${days < 0 ? `expired ${-days} days ago` : `${days} days left`})`,
        `  SHA-256 ${c.certificate.sha256}`,
      );
    }
  }
  lines.push(
    `Read in ${r.apdus} APDUs${r.shortApdus ? ' (short APDUs: the card or reader takes no extended length)' : ''}`,
  );
  return lines.join('\n');
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      reader: { type: 'string' },
      json: { type: 'boolean' },
      virtual: { type: 'boolean' },
      origin: { type: 'string', multiple: true },
      port: { type: 'string', default: String(defaultLocalPort) },
      server: { type: 'string' },
      code: { type: 'string' },
      config: { type: 'string' },
      queue: { type: 'string' },
      'retry-max-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (
    values.help ||
    !command ||
    !['readers', 'read', 'serve-local', 'enrol', 'watch'].includes(command)
  ) {
    console.log(usage);
    process.exit(values.help ? 0 : 2);
  }
  const configPath = values.config ?? defaultConfigPath();
  const port = localPort(values.port);
  if (command === 'enrol') {
    if (!values.server || !values.code)
      throw new AgentError('Give both: npm run agent -- enrol --server URL --code CODE');
    const server = checkServerUrl(values.server);
    const enrolment = await enrol(server, values.code);
    saveAgentConfig(configPath, {
      server,
      workstationId: enrolment.workstationId,
      workstationName: enrolment.workstationName,
      credential: enrolment.credential,
      enrolledAt: new Date().toISOString(),
    });
    console.log(
      `Enrolled as workstation "${enrolment.workstationName}" of ${server}. Credential kept in ${configPath} (this user only). Start the agent with: npm run agent -- watch`,
    );
    return;
  }
  // Read before touching PC/SC, so a workstation that is not enrolled hears so at once.
  const agentConfig = command === 'watch' ? loadAgentConfig(configPath) : undefined;
  if (agentConfig && values.server && checkServerUrl(values.server) !== agentConfig.server)
    throw new AgentError(
      `This workstation is enrolled with ${agentConfig.server}, not ${values.server}. To report to another server, enrol with it first: npm run agent -- enrol --server URL --code CODE`,
    );
  const watcher = new PcscWatcher({ includeVirtual: values.virtual ?? false });
  let noService = false;
  watcher.on('service-lost', () => {});
  watcher.on('service-unavailable', () => {
    noService = true;
  });
  const noDaemon = () =>
    new CardReadError(
      'The PC/SC service (pcscd) is not running. Start it (sudo systemctl start pcscd, or pcscd) and try again.',
    );
  if (command === 'watch' && agentConfig) {
    const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
    const retryMax = Number(values['retry-max-seconds'] ?? 60);
    if (!Number.isFinite(retryMax) || retryMax < 1)
      throw new AgentError('--retry-max-seconds takes a number of seconds, 1 or more');
    const outbox = new Outbox({
      dir: values.queue ?? defaultQueueDir(),
      send: observationSender(() => agentConfig),
      minBackoffMs: Math.min(1000, retryMax * 1000),
      maxBackoffMs: retryMax * 1000,
      log,
    });
    new CardReporter(watcher, outbox, { log });
    watcher.on('reader-added', (reader: string) => log(`reader ${reader} connected`));
    watcher.on('reader-removed', (reader: string) => log(`reader ${reader} gone`));
    watcher.on('service-lost', () => log('the PC/SC service stopped; waiting for it to return'));
    outbox.start();
    log(
      `watching readers as workstation "${agentConfig.workstationName}" for ${agentConfig.server}; ${outbox.pending} observations queued`,
    );
    // The same process answers the RA server's "Check my card" page on this workstation. A
    // port already taken (another agent, say) costs that page, not the reporting.
    const origins = [agentConfig.server, ...webOrigins(values.origin)];
    // Card jobs: the page asks for one on this workstation, the agent does it on the card,
    // step by step with the server, holding the card for the whole job.
    const jobServer = jobServerClient(() => agentConfig);
    const jobs = {
      workstation: { id: agentConfig.workstationId, name: agentConfig.workstationName },
      server: agentConfig.server,
      run: (transmit: Transmit, input: CardJobInput, onStep: (step: JobStep) => void) =>
        runCardJob({ transmit, server: jobServer, input, onStep }),
      log,
    };
    const api = await startLocalApi({ watcher, allowedOrigins: origins, port, jobs })
      .then((started) => {
        log(
          `answering "Check my card" and card jobs for ${origins.join(', ')} on http://127.0.0.1:${started.port}/cards`,
        );
        return started;
      })
      .catch((err: unknown) => {
        log(
          `not answering "Check my card" or card jobs: 127.0.0.1:${port} ${err instanceof Error ? err.message : String(err)}; reporting goes on`,
        );
        return undefined;
      });
    const stop = () =>
      void Promise.all([outbox.stop(), api?.close()]).then(() => {
        watcher.close();
        process.exit(0);
      });
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return;
  }
  if (command === 'serve-local') {
    const origins = webOrigins(values.origin);
    if (!origins.length)
      throw new CardReadError("Give the RA server's address: --origin https://ra.example.nhs.uk");
    const api = await startLocalApi({
      watcher,
      allowedOrigins: origins,
      port,
    });
    console.log(
      `Answering ${origins.join(', ')} on http://127.0.0.1:${api.port}/cards (Ctrl-C ends)`,
    );
    const stop = () =>
      void api.close().then(() => {
        watcher.close();
        process.exit(0);
      });
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return;
  }
  try {
    if (command === 'readers') {
      await settled(watcher, (w) => w.state.length > 0, 1500);
      // Status events for the cards already in the readers follow the reader list closely.
      await new Promise((r) => setTimeout(r, 300));
      if (!watcher.state.length)
        console.log('No readers. Is pcscd running, and a reader plugged in?');
      for (const r of watcher.state)
        console.log(`${r.reader}\t${r.atr ? `card ${r.atr.toString('hex')}` : 'empty'}`);
      return;
    }
    const pick = (w: PcscWatcher) =>
      w.state.find((r) => r.atr && (!values.reader || r.reader === values.reader));
    await settled(watcher, (w) => !!pick(w), 3000);
    const target = pick(watcher);
    if (!target?.atr && noService && !watcher.state.length) throw noDaemon();
    if (!target?.atr) {
      throw new CardReadError(
        values.reader
          ? `No card in "${values.reader}".`
          : 'No card in any reader. Put a card in and try again.',
      );
    }
    const atr = target.atr;
    const reading = await watcher.withCard(target.reader, (transmit) => readPivCard(transmit, atr));
    console.log(
      values.json
        ? JSON.stringify(
            { reader: target.reader, atr: target.atr.toString('hex'), ...reading },
            null,
            2,
          )
        : human(target.reader, target.atr, reading),
    );
  } finally {
    watcher.close();
  }
}

main().catch((err) => {
  const known =
    err instanceof CardReadError ||
    err instanceof PcscUnavailableError ||
    err instanceof AgentError;
  console.error(
    known ? err.message : `The agent failed: ${err instanceof Error ? err.message : err}`,
  );
  process.exit(1);
});
