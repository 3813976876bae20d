import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  blankProfile,
  type CardProfile,
  extendedRefusals,
  saveProfile,
  simulatorAtrs,
} from './card-profile.ts';
import { SimulatedCard } from './simulated-card.ts';

const usage = `PIV card simulator for the virtual reader (vpcd).

  npm run card -- new <profile.json> [--serial 8-hex-digits] [CARD OPTIONS]
                                                 make a blank, factory-fresh card
  npm run card -- <profile.json> [--port N] [CARD OPTIONS]
                                                 put the card in a vpcd slot

--port: vpcd's TCP port (the test reader's slots are 45947 and 45948; Debian's stock
"Virtual PCD" is 35963). While it runs, type "remove" or "insert" (or send SIGUSR1 to
toggle) to pull the card out and put it back; Ctrl-C ends it. The profile file is the
card's memory: every change is written back to it, card options too.

Card options:
  --extended-apdus accept|${extendedRefusals.join('|')}
        accept extended-length APDUs (the default), or refuse every one with that status
        word, as a card that takes short APDUs only
  --atr plain|extended|short|HEX
        the ATR: plain says nothing of extended length; extended and short carry the card
        capabilities saying the card takes extended Lc and Le, or does not; or any ATR in hex`;

/** The card options given, as changes to a profile; a bad value is an error naming it. */
function cardOptions(values: { 'extended-apdus'?: string; atr?: string }): Partial<CardProfile> {
  const changes: Partial<CardProfile> = {};
  const extended = values['extended-apdus']?.toLowerCase();
  if (extended !== undefined) {
    if (extended !== 'accept' && !(extendedRefusals as readonly string[]).includes(extended))
      throw new Error(
        `--extended-apdus takes accept or a status word (${extendedRefusals.join(', ')}), not "${extended}"`,
      );
    changes.extendedApdus = extended as CardProfile['extendedApdus'];
  }
  const atr = values.atr?.toLowerCase();
  if (atr !== undefined) {
    const named = simulatorAtrs[atr as keyof typeof simulatorAtrs];
    if (!named && !/^3[bf]([0-9a-f]{2}){1,32}$/.test(atr))
      throw new Error(
        `--atr takes plain, extended, short or an ATR in hex (3B or 3F, then up to 32 bytes), not "${atr}"`,
      );
    changes.atr = named ?? atr;
  }
  return changes;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '45947' },
      serial: { type: 'string' },
      'extended-apdus': { type: 'string' },
      atr: { type: 'string' },
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
    saveProfile(path, { ...blankProfile(values.serial?.toLowerCase()), ...cardOptions(values) });
    console.log(`Made a blank card in ${path} (PIN 123456, PUK 12345678, default management key).`);
    return;
  }
  const changes = cardOptions(values);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error('--port must be a TCP port');
  const card = new SimulatedCard(positionals[0] as string, port, (line) => console.log(line));
  if (Object.keys(changes).length) {
    Object.assign(card.profile, changes);
    saveProfile(card.profilePath, card.profile);
  }
  const refusal = card.profile.extendedApdus;
  if (refusal && refusal !== 'accept')
    console.log(`This card refuses extended-length APDUs with status ${refusal.toUpperCase()}.`);
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
