// Federated sign-in end to end (issue 14 §4): a real OpenID provider (npm oidc-provider, in
// this process, on a free loopback port) and `art60 serve --demo --no-local-passwords
// --oidc-issuer ...`, driven in Debian's Chromium: sign-in with the authorization code and
// PKCE, the role claim mapped (a CPAS worker lands on the dashboard, an access manager on its
// organisation's page), an unknown organisation refused, sign-out ending the local session,
// and password sign-in refused. Besides the CPAS (m0017): an ONEM officer (ONEM's one KBO
// number, the office from the `onem_office` claim) lands on its office's queue, a federation
// SPOC and the operator's administrator on their pages, an officer of an unknown office is
// refused; sign-out goes on to the provider's end_session_endpoint (RP-initiated logout) with
// id_token_hint and post_logout_redirect_uri: "No, stay signed in" there keeps the provider's
// session (the next sign-in asks nothing), "Yes" ends it (the next sign-in asks again).
//
// Environment: ART60_BIN (the built `art60`), CHROMIUM (default /usr/bin/chromium).
// The provider's claims come from its user-info endpoint (oidc-provider keeps scope claims
// out of the ID token in the code flow), so that path of the client is exercised too.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { chromium } from 'playwright-core';

const BIN = process.env.ART60_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 20000;
if (!BIN) {
  console.error('ART60_BIN is not set (run web-tests/oidc.sh)');
  process.exit(2);
}

const failures = [];
let checks = 0;
function ok(cond, what) {
  checks++;
  if (!cond) {
    failures.push(what);
    console.log(`  FAIL ${what}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The people the provider knows: subject → claims. KBO numbers are the demo's CPAS
// (Namur), ONEM's own, and the demo's numbers for UVCW and the operator (`--demo` registers
// them); zoe's is valid but nobody's in the directory.
const PEOPLE = {
  'anne-sub': { preferred_username: 'anne.federated', kbo: '0207.353.138', roles: ['cpas_worker'] },
  'marc-sub': { preferred_username: 'marc.federated', kbo: '0207353138', roles: 'access_manager' },
  'zoe-sub': { preferred_username: 'zoe.federated', kbo: '0999.000.525', roles: ['cpas_worker'] },
  'olga-sub': { preferred_username: 'olga.federated', kbo: '0206.737.484', roles: ['onem_officer'], onem_office: 'Namur' },
  'otto-sub': { preferred_username: 'otto.federated', kbo: '0206.737.484', roles: ['onem_officer'], onem_office: 'atlantis' },
  'fred-sub': { preferred_username: 'fred.federated', kbo: '0999000129', roles: ['federation_spoc'] },
  'adam-sub': { preferred_username: 'adam.federated', kbo: '0999.000.426', roles: ['administrator'] },
};

const art60Port = await freePort();
const idpPort = await freePort();
const art60 = `http://127.0.0.1:${art60Port}`;
const issuer = `http://127.0.0.1:${idpPort}`;
const SECRET = 'test-client-secret-not-for-production';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'art60',
      client_secret: SECRET,
      redirect_uris: [`${art60}/auth/oidc/callback`],
      post_logout_redirect_uris: [`${art60}/login`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  // The client must use PKCE (S256): a code without its verifier is worthless.
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'art60'],
  claims: { openid: ['sub'], profile: ['preferred_username'], art60: ['kbo', 'roles', 'onem_office'] },
  async findAccount(ctx, id) {
    if (!PEOPLE[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...PEOPLE[id] }) };
  },
  // The provider's development login form takes any password; consent is implied for this
  // first-party client (the portal's access manager granted the roles beforehand).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile art60');
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['art60-web-tests-cookie-key'] },
});
// What the client sent to the token endpoint: PKCE verified by the provider, counted here.
let tokenRequests = 0;
provider.on('grant.success', () => { tokenRequests++; });
// Sign-outs completed at the provider's end_session_endpoint.
let endSessions = 0;
provider.on('end_session.success', () => { endSessions++; });
const idp = provider.listen(idpPort, '127.0.0.1');

function startArt60(dir) {
  return new Promise((resolve, reject) => {
    const args = [
      'serve', '--demo', '--no-scheduler', '--no-local-passwords',
      '--database-url', `sqlite://${join(dir, 'art60.db')}?mode=rwc`,
      '--bind', `127.0.0.1:${art60Port}`,
      '--oidc-issuer', issuer, '--oidc-client-id', 'art60', '--oidc-scopes', 'profile,art60',
    ];
    const proc = spawn(BIN, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ART60_OIDC_CLIENT_SECRET: SECRET, RUST_LOG: 'warn' },
    });
    const rl = createInterface({ input: proc.stdout });
    const accounts = {};
    let started = false;
    rl.on('line', (line) => {
      const m = line.match(/^\s+(\S+)\s+(\S+)\s+(.+)$/);
      if (m) accounts[m[2]] = m[3].trim();
      if (!started && line.startsWith('art60 portal on')) {
        started = true;
        // The accounts follow the address line.
        setTimeout(() => resolve({ proc, accounts }), 300);
      }
    });
    proc.once('exit', (code) => { if (!started) reject(new Error(`art60 serve exited ${code}`)); });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'art60-oidc-'));
const server = await startArt60(dir);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

async function me(page) {
  const r = await page.request.get(`${art60}/api/v1/auth/me`);
  return { status: r.status(), body: r.status() === 200 ? await r.json() : null };
}

// Clicks "sign in through my organisation" and signs in at the provider as `sub`.
async function federatedSignIn(page, sub) {
  await page.goto(`${art60}/login`, { timeout: T });
  await page.click('#oidc-login', { timeout: T });
  await page.waitForURL((u) => u.href.startsWith(issuer), { timeout: T });
  await page.fill('input[name="login"]', sub, { timeout: T });
  await page.fill('input[name="password"]', 'any', { timeout: T });
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(art60), { timeout: T }),
    page.click('button[type="submit"]', { timeout: T }),
  ]);
  await page.waitForLoadState('load', { timeout: T });
}

// Clicks "sign out" in the portal: the local session ends, then the browser is at the
// provider's end-session page, which asks whether to sign out there too; `yes` answers.
async function federatedSignOut(page, yes) {
  await page.click('form[action="/logout"] button', { timeout: T });
  // 'commit': the provider's page imports a web font, which never loads offline.
  await page.waitForURL((u) => u.href.startsWith(issuer), { timeout: T, waitUntil: 'commit' })
    .catch(() => {});
  ok(page.url().startsWith(issuer), `sign-out goes on to the provider: ${page.url()}`);
  const at = new URL(page.url());
  ok(at.searchParams.get('id_token_hint')?.split('.').length === 3,
    `sign-out at the provider carries the ID token: ${at.pathname}`);
  ok(at.searchParams.get('post_logout_redirect_uri') === `${art60}/login`,
    `sign-out at the provider comes back to /login: ${at.searchParams.get('post_logout_redirect_uri')}`);
  const before = endSessions;
  const button = yes ? 'button[name="logout"][value="yes"]' : 'button:not([name="logout"])';
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${art60}/login`), { timeout: T, waitUntil: 'commit' }),
    page.click(button, { timeout: T }),
  ]);
  await page.waitForLoadState('load', { timeout: T });
  ok(endSessions === before + 1, 'the provider completed the end-session request');
}

const fresh = () => browser.newContext({ locale: 'fr' });
try {
  // Password sign-in is off: the page offers the organisation only, the API refuses.
  {
    const ctx = await fresh();
    const page = await ctx.newPage();
    await page.goto(`${art60}/login`, { timeout: T });
    ok(await page.locator('#oidc-login').isVisible(), 'login page offers the organisation');
    ok((await page.locator('#password').count()) === 0, 'no password form when passwords are off');
    ok(await page.locator('#passwords-off').isVisible(), 'login page says passwords are off');
    const [user, password] = Object.entries(server.accounts)[0] ?? [];
    ok(user && password, `demo accounts printed (${Object.keys(server.accounts).length})`);
    const r = await page.request.post(`${art60}/api/v1/auth/login`, { data: { username: user, password } });
    ok(r.status() === 403, `API password login refused: ${r.status()}`);
    await ctx.close();
  }

  // A CPAS worker: signs in, lands on the dashboard, is the CPAS's worker; signs out.
  {
    const ctx = await fresh();
    const page = await ctx.newPage();
    await federatedSignIn(page, 'anne-sub');
    await page.waitForURL(/\/dashboard$/, { timeout: T }).catch(() => {});
    ok(page.url().endsWith('/dashboard'), `worker lands on the dashboard: ${page.url()}`);
    const who = await me(page);
    ok(who.status === 200 && who.body.role === 'cpas_worker' && who.body.cpas_id !== null,
      `worker role mapped: ${JSON.stringify(who)}`);
    ok(tokenRequests >= 1, 'the code was exchanged at the token endpoint (with PKCE)');
    // Signing in again (the provider remembers the person) finds the same account.
    const first = who.body?.user_id;
    // Signed out here, but the provider's session kept ("No, stay signed in").
    await federatedSignOut(page, false);
    const after = await me(page);
    ok(after.status === 401, `signed out: /auth/me answers ${after.status}`);
    await page.goto(`${art60}/dashboard`, { timeout: T });
    ok(page.url().endsWith('/login'), `after sign-out the dashboard sends to the login page: ${page.url()}`);
    await page.click('#oidc-login', { timeout: T });
    await page.waitForURL(/\/dashboard$/, { timeout: T }).catch(() => {});
    const again = await me(page);
    ok(again.status === 200 && again.body.user_id === first, `second sign-in, same account: ${JSON.stringify(again)}`);
    await ctx.close();
  }

  // An access manager of the same CPAS: its own page, with the worker listed.
  {
    const ctx = await fresh();
    const page = await ctx.newPage();
    await federatedSignIn(page, 'marc-sub');
    await page.waitForURL(/\/organisation$/, { timeout: T }).catch(() => {});
    ok(page.url().endsWith('/organisation'), `access manager lands on /organisation: ${page.url()}`);
    const who = await me(page);
    ok(who.status === 200 && who.body.role === 'access_manager', `access manager role mapped: ${JSON.stringify(who)}`);
    const users = await page.request.get(`${art60}/api/v1/organisation/users`);
    const names = users.status() === 200 ? (await users.json()).map((u) => u.username) : [];
    ok(names.includes('anne.federated') && names.includes('cpas.namur'), `own CPAS's users: ${names}`);
    ok(await page.getByText('anne.federated').first().isVisible().catch(() => false), 'the page lists the worker');
    await ctx.close();
  }

  // An organisation the directory does not know: refused, no session.
  {
    const ctx = await fresh();
    const page = await ctx.newPage();
    await federatedSignIn(page, 'zoe-sub');
    const err = page.locator('#login-err');
    ok(await err.isVisible().catch(() => false), 'unknown organisation: an error on the login page');
    const text = (await err.textContent().catch(() => '')) ?? '';
    ok(/organisation/i.test(text), `the error names the organisation: ${text}`);
    const who = await me(page);
    ok(who.status === 401, `unknown organisation: no session (${who.status})`);
    await ctx.close();
  }

  // An ONEM officer: ONEM's one number, the office from its claim; its office's queue.
  // Sign-out ends the provider's session too: the next sign-in asks for the login again.
  {
    const ctx = await fresh();
    const page = await ctx.newPage();
    await federatedSignIn(page, 'olga-sub');
    await page.waitForURL(/\/queue$/, { timeout: T }).catch(() => {});
    ok(page.url().endsWith('/queue'), `officer lands on the queue: ${page.url()}`);
    const who = await me(page);
    ok(who.status === 200 && who.body.role === 'onem_officer' && who.body.office_id !== null
      && who.body.cpas_id === null, `officer role and office mapped: ${JSON.stringify(who)}`);
    const queue = await page.request.get(`${art60}/api/v1/queue`);
    ok(queue.status() === 200, `the officer reads its queue: ${queue.status()}`);
    await federatedSignOut(page, true);
    const after = await me(page);
    ok(after.status === 401, `officer signed out: /auth/me answers ${after.status}`);
    await page.click('#oidc-login', { timeout: T });
    await page.waitForURL((u) => u.href.startsWith(issuer), { timeout: T });
    ok(await page.locator('input[name="login"]').isVisible({ timeout: T }).catch(() => false),
      'after signing out at the provider, the provider asks for the login again');
    await ctx.close();
  }

  // A federation's SPOC and the operator's administrator: their organisations' numbers.
  for (const [sub, role, landing] of [
    ['fred-sub', 'federation_spoc', '/escalations'],
    ['adam-sub', 'administrator', '/directory'],
  ]) {
    const ctx = await fresh();
    const page = await ctx.newPage();
    await federatedSignIn(page, sub);
    await page.waitForURL((u) => u.pathname === landing, { timeout: T }).catch(() => {});
    ok(new URL(page.url()).pathname === landing, `${role} lands on ${landing}: ${page.url()}`);
    const who = await me(page);
    ok(who.status === 200 && who.body.role === role && who.body.cpas_id === null,
      `${role} mapped: ${JSON.stringify(who)}`);
    await ctx.close();
  }

  // An officer whose office claim names no office of the directory: refused, no session.
  {
    const ctx = await fresh();
    const page = await ctx.newPage();
    await federatedSignIn(page, 'otto-sub');
    const err = page.locator('#login-err');
    const text = (await err.textContent().catch(() => '')) ?? '';
    ok(/bureau/i.test(text), `unknown office: the error names the office: ${text}`);
    const who = await me(page);
    ok(who.status === 401, `unknown office: no session (${who.status})`);
    await ctx.close();
  }
} catch (e) {
  failures.push(`exception: ${e.stack || e}`);
  console.log(e);
} finally {
  await browser.close();
  // Stop the server before leaving (its stderr is ours): SIGTERM, then SIGKILL after 5 s.
  await new Promise((resolve) => {
    const timer = setTimeout(() => { server.proc.kill('SIGKILL'); resolve(); }, 5000);
    server.proc.once('exit', () => { clearTimeout(timer); resolve(); });
    server.proc.kill('SIGTERM');
  });
  idp.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`oidc: ${checks} checks, ${failures.length} failures`);
if (failures.length) {
  for (const f of failures) console.log(`  - ${f}`);
  process.exit(1);
}
process.exit(0);
