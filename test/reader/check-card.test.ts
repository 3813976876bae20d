import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalApi, startLocalApi } from '../../reader/local-api/local-api.ts';
import { PcscWatcher } from '../../reader/pcsc/pcsc-watcher.ts';
import { tlv } from '../../reader/piv/tlv.ts';
import { blankProfile, saveProfile } from '../../reader/simulator/card-profile.ts';
import { SimulatedCard } from '../../reader/simulator/simulated-card.ts';
import setupBrowser from '../e2e/global-setup.ts';
import { launchChromium, type RunningApp, startApp } from '../e2e/support/browser.ts';
import { type Pcscd, startPcscd, testReader } from '../support/pcsc/pcscd.ts';

const run = promisify(execFile);

/**
 * "Check my card" end to end: a simulated card in the real pcscd, the agent's local API,
 * the web app, and Chromium. Kept with the card tests because it needs their pcscd.
 */
describe('Check my card, in Chromium, through the local API', () => {
  let pcscd: Pcscd;
  let dir: string;
  let card: SimulatedCard;
  let watcher: PcscWatcher;
  let api: LocalApi;
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    setupBrowser(); // Chromium installed, web app built
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'ra-check-'));
    const der = join(dir, 'c.der');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'k.pem'),
      '-outform',
      'DER',
      '-out',
      der,
      '-subj',
      '/CN=Nia Okafor/O=RWG',
      '-days',
      '60',
      '-addext',
      'subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:555086689106@nhs.uk',
    ]);
    const profile = blankProfile('0000c4ec');
    profile.objects['5fc105'] = Buffer.concat([
      tlv(0x70, readFileSync(der)),
      tlv(0x71, Buffer.from([0])),
      tlv(0xfe, Buffer.alloc(0)),
    ]).toString('base64');
    profile.pinTries = 1;
    saveProfile(join(dir, 'card.json'), profile);
    card = new SimulatedCard(join(dir, 'card.json'), testReader.port);
    app = await startApp();
    watcher = new PcscWatcher();
    api = await startLocalApi({ watcher, allowedOrigins: [app.url], port: 0 });
    browser = await launchChromium();
    await card.insert();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    watcher?.close();
    await card?.remove();
    await app?.stop();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the holder, expiry, renewal advice and PIN state of the card in the reader', async () => {
    const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${app.url}/check-card?agentPort=${api.port}`);
    const shown = page.getByTestId('card');
    await shown.waitFor();
    expect(await shown.textContent()).toContain('Nia Okafor');
    expect(await shown.textContent()).toContain('5550 8668 9106');
    expect(await page.getByTestId('expiry').textContent()).toMatch(/(59|60) days left/);
    expect(await page.getByTestId('pin').textContent()).toContain('1 try left');
    expect(await shown.textContent()).toContain('You can renew now');
    await page.screenshot({ path: '.tmp/check-card.png', fullPage: true });
    // The page never spent a try: the card still has its one.
    expect(card.profile.pinTries).toBe(1);

    await card.remove();
    await page.getByText('No card in the reader.').waitFor();
    await card.insert();
    await shown.waitFor();
  });

  it('refuses pages from any other origin, and answers nothing but GET /cards', async () => {
    const evil = await fetch(`http://127.0.0.1:${api.port}/cards`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // A call that names no page (another program on the machine) gets nothing either.
    const anonymous = await fetch(`http://127.0.0.1:${api.port}/cards`);
    expect(anonymous.status).toBe(403);
    expect(JSON.stringify(await anonymous.json())).not.toContain('Nia');
    // Nor does a page that reached 127.0.0.1 under another name (DNS rebinding).
    const rebound = await rawGet(api.port, { host: `rebind.example:${api.port}`, origin: app.url });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('answers only at 127.0.0.1');
    const ours = await fetch(`http://127.0.0.1:${api.port}/cards`, {
      headers: { origin: app.url },
    });
    expect(ours.status).toBe(200);
    expect(ours.headers.get('access-control-allow-origin')).toBe(app.url);
    const body = JSON.stringify(await ours.json());
    expect(body).not.toMatch(/pin"\s*:\s*"\d|privateKey|BEGIN/);
    expect(
      (await fetch(`http://127.0.0.1:${api.port}/keys`, { headers: { origin: app.url } })).status,
    ).toBe(404);
    expect(
      (
        await fetch(`http://127.0.0.1:${api.port}/cards`, {
          method: 'POST',
          headers: { origin: app.url },
        })
      ).status,
    ).toBe(404);
  });

  it('gives a real page from another origin nothing, in Chromium', async () => {
    // A page served from another origin on this machine tries to read the cards.
    const other = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Elsewhere</title><p>elsewhere</p>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      const outcome = await page.evaluate(async (url) => {
        try {
          const res = await fetch(url);
          return `read ${res.status}: ${await res.text()}`;
        } catch (err) {
          return `blocked: ${(err as Error).name}`;
        }
      }, `http://127.0.0.1:${api.port}/cards`);
      expect(outcome).toBe('blocked: TypeError');
      await page.context().close();
    } finally {
      other.close();
    }
  });
});

/** A GET with the headers given as they are (fetch will not send a Host of our choosing). */
function rawGet(port: number, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/cards', headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
