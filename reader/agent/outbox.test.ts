import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueuedObservation } from './observation.ts';
import { removedObservation } from './observation.ts';
import { type Delivery, Outbox } from './outbox.ts';

const observation = (n: number) =>
  removedObservation(`Reader ${n}`, `${n}`.padStart(32, '0'), new Date(0));

/**
 * A server as the queue sees it: it stores each idempotency key once (as the real one does),
 * and can be "down" (every attempt fails as a refused connection would).
 */
function fakeServer() {
  const stored: QueuedObservation[] = [];
  const keys = new Set<string>();
  const server = {
    up: true,
    attempts: 0,
    /** When set, the next delivery is stored but its answer is lost on the way back. */
    loseNextAnswer: false,
    stored,
    send: async (o: QueuedObservation): Promise<Delivery> => {
      server.attempts++;
      if (!server.up) return { outcome: 'retry', reason: 'connect ECONNREFUSED' };
      if (!keys.has(o.idempotencyKey)) {
        keys.add(o.idempotencyKey);
        stored.push(o);
      }
      if (server.loseNextAnswer) {
        server.loseNextAnswer = false;
        throw new Error('socket hang up');
      }
      return { outcome: 'delivered' };
    },
  };
  return server;
}

const queueDir = () => mkdtempSync(join(tmpdir(), 'ra-outbox-'));

describe('the agent’s on-disk queue', () => {
  it('delivers every observation once, in order, and keeps numbering after a restart', async () => {
    const dir = queueDir();
    const server = fakeServer();
    const first = new Outbox({ dir, send: server.send, minBackoffMs: 1 });
    for (let n = 1; n <= 3; n++) first.enqueue(observation(n));
    first.start();
    await first.drained();
    await first.stop();

    const second = new Outbox({ dir, send: server.send, minBackoffMs: 1 });
    second.enqueue(observation(4));
    second.start();
    await second.drained();
    await second.stop();
    expect(server.stored.map((o) => [o.sequence, o.reader])).toEqual([
      [1, 'Reader 1'],
      [2, 'Reader 2'],
      [3, 'Reader 3'],
      [4, 'Reader 4'],
    ]);
    expect(new Set(server.stored.map((o) => o.idempotencyKey)).size).toBe(4);
  });

  it('keeps what it could not send across a restart, and only the owner can read it', async () => {
    const dir = queueDir();
    const server = fakeServer();
    server.up = false;
    const before = new Outbox({ dir, send: server.send, minBackoffMs: 1, maxBackoffMs: 2 });
    before.start();
    before.enqueue(observation(1));
    before.enqueue(observation(2));
    await new Promise((r) => setTimeout(r, 30));
    await before.stop(); // the agent is stopped (or the machine restarts) with both queued
    expect(server.stored).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toHaveLength(2);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')))
      expect(statSync(join(dir, name)).mode & 0o077).toBe(0);

    server.up = true;
    const after = new Outbox({ dir, send: server.send, minBackoffMs: 1 });
    after.start();
    await after.drained();
    await after.stop();
    expect(server.stored.map((o) => o.sequence)).toEqual([1, 2]);
  });

  it('rides out an hour without the server, backing off to one try a minute, losing nothing', async () => {
    const dir = queueDir();
    const server = fakeServer();
    server.up = false;
    // Time is simulated: each back-off "sleeps" by moving this clock, and the server comes
    // back when an hour has passed.
    let clock = 0;
    const waits: number[] = [];
    const outbox = new Outbox({
      dir,
      send: server.send,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
        if (clock >= 3_600_000) server.up = true;
        await new Promise((r) => setImmediate(r));
      },
    });
    outbox.start();
    for (let n = 1; n <= 20; n++) outbox.enqueue(observation(n));
    await outbox.drained();
    await outbox.stop();

    expect(server.stored.map((o) => o.sequence)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(Math.max(...waits)).toBe(60_000);
    // About one try a minute for the hour, not a busy loop: 1+2+4+…+32 s, then every 60 s.
    const failed = server.attempts - 20;
    expect(failed).toBe(waits.length);
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(70);
  });

  it('sends the same key again when an answer is lost, so the server keeps one copy', async () => {
    const dir = queueDir();
    const server = fakeServer();
    server.loseNextAnswer = true;
    const outbox = new Outbox({ dir, send: server.send, minBackoffMs: 1 });
    outbox.enqueue(observation(1));
    outbox.enqueue(observation(2));
    outbox.start();
    await outbox.drained();
    await outbox.stop();
    expect(server.attempts).toBe(3);
    expect(server.stored.map((o) => o.sequence)).toEqual([1, 2]);
  });

  it('sets aside an observation the server refuses outright, and delivers the rest', async () => {
    const dir = queueDir();
    const server = fakeServer();
    const lines: string[] = [];
    const outbox = new Outbox({
      dir,
      log: (l) => lines.push(l),
      send: async (o) =>
        o.sequence === 2 ? { outcome: 'rejected', reason: 'reader: Too long' } : server.send(o),
    });
    for (let n = 1; n <= 3; n++) outbox.enqueue(observation(n));
    outbox.start();
    await outbox.drained();
    await outbox.stop();
    expect(server.stored.map((o) => o.sequence)).toEqual([1, 3]);
    expect(readdirSync(join(dir, 'rejected'))).toEqual(['000000000002.json']);
    expect(lines.join('\n')).toContain('#2 refused by the server, set aside: reader: Too long');
  });
});
