import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { blankProfile, saveProfile } from './card-profile.ts';
import { SimulatedCard } from './simulated-card.ts';

const usage = `PIV card simulator for the virtual reader (vpcd).

  npm run card -- new <profile.json> [--serial 8-hex-digits]   make a blank, factory-fresh card
  npm run card -- <profile.json> [--port N]                   put the card in a vpcd slot

--port: vpcd's TCP port (the test reader's slots are 45947 and 45948; Debian's stock
"Virtual PCD" is 35963). While it runs, type "remove" or "insert" (or send SIGUSR1 to
toggle) to pull the card out and put it back; Ctrl-C ends it. The profile file is the
card's memory: every change is written back to it.`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '45947' },
      serial: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(usage);
    process.exit(values.help ? 0 : 2);
  }
  if (positionals[0] === 'new') {
    const path = positionals[1];
    if (!path) throw new Error('new needs a file name');
    if (existsSync(path))
      throw new Error(`${path} exists: the simulator will not overwrite a card`);
    if (values.serial && !/^[0-9a-f]{1,8}$/i.test(values.serial))
      throw new Error('--serial is up to 8 hex digits');
    saveProfile(path, blankProfile(values.serial?.toLowerCase()));
    console.log(`Made a blank card in ${path} (PIN 123456, PUK 12345678, default management key).`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error('--port must be a TCP port');
  const card = new SimulatedCard(positionals[0] as string, port, (line) => console.log(line));
  console.log(`Card ${card.profile.serial}: waiting for vpcd on port ${port}...`);
  await card.insert();
  const toggle = async () => {
    if (card.connection.inserted) await card.remove();
    else await card.insert();
  };
  process.on('SIGUSR1', () => void toggle());
  process.on('SIGINT', () => void card.remove().then(() => process.exit(0)));
  process.on('SIGTERM', () => void card.remove().then(() => process.exit(0)));
  // Commands come from a terminal or a pipe alike; the end of input leaves the card running.
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = line.trim();
    const inserted = card.connection.inserted;
    if (command === 'remove' && inserted) void card.remove().then(() => console.log('removed'));
    else if (command === 'insert' && !inserted) void card.insert();
    else if (command === 'remove' || command === 'insert')
      console.log(`The card is ${inserted ? 'in' : 'out'} already.`);
    else if (command) console.log(`"${command.slice(0, 40)}"? Type remove or insert.`);
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
