// Browser tests of the art60 portal, in Debian's chromium driven by playwright-core.
//
// Starts the standalone portal (crates/art60-web/examples/portal.rs) on a free loopback port,
// then: axe-core (WCAG 2.1 A/AA rules) on every page in French and Dutch, zero violations;
// the end-to-end flow (CPAS agent creates a request with two past periods, sees the
// simulation, sends; ONEM officer overrides with a justification; the agent sees the result
// and the timeline) in French and in Dutch; keyboard reachability; the same forms with
// JavaScript disabled; screenshots of the main pages into docs/screenshots/.
//
// Environment: PORTAL_BIN (the built example), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS (directory, default ../docs/screenshots; empty string to skip).
// Contexts bypass the portal's Content-Security-Policy only so axe-core can be injected
// inline; a separate check makes sure the pages run under the CSP without violations.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { notifyTests } from './notify.mjs';
import { issue13Tests } from './issue13.mjs';
import { impactTests } from './impact.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BIN = process.env.PORTAL_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS ?? join(here, '..', 'docs', 'screenshots');
const T = 15000;

if (!BIN) {
  console.error('PORTAL_BIN is not set (run web-tests/run.sh)');
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

// ---- the portal ----
function startPortal() {
  return new Promise((resolve, reject) => {
    // Port 0: the OS picks a free loopback port; the portal prints the address it got.
    const proc = spawn(BIN, ['0'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const rl = createInterface({ input: proc.stdout });
    rl.once('line', (line) => {
      try {
        resolve({ proc, ...JSON.parse(line) });
      } catch (e) {
        reject(new Error(`portal said: ${line}`));
      }
    });
    proc.once('exit', (code) => reject(new Error(`portal exited with ${code}`)));
  });
}

// ---- helpers ----
const texts = {
  fr: {
    worker: 'cpas.namur', officer: 'onem.namur', niss: '90012503347',
    addPeriod: 'Ajouter une période', send: 'Enregistrer et envoyer à l\'ONEM',
    endDate: 'Le contrat peut se terminer le', overridden: 'Modifiée par l\'ONEM',
    override: 'Modifier la date de fin', simulate: 'Mettre à jour la simulation',
    sent: 'La demande a été envoyée', save: 'Enregistrer le brouillon',
    childRaising: 'Éducation d\'un enfant',
  },
  nl: {
    worker: 'ocmw.brussel', officer: 'onem.brussels', niss: '90012504139',
    addPeriod: 'Periode toevoegen', send: 'Opslaan en naar de RVA sturen',
    endDate: 'Het contract mag eindigen op', overridden: 'Gewijzigd door de RVA',
    override: 'De einddatum wijzigen', simulate: 'Simulatie bijwerken',
    sent: 'De aanvraag is naar de RVA gestuurd', save: 'Opslaan als ontwerp',
    childRaising: 'Opvoeding van een kind',
  },
};

async function axeCheck(page, name) {
  await page.addScriptTag({ content: AXE });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  ok(res.length === 0, `axe on ${name}: ${res.join('; ')}`);
  const lang = await page.getAttribute('html', 'lang');
  ok(!!lang, `${name} has <html lang>`);
}

async function shot(page, file) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, file), fullPage: true });
}

async function login(page, portal, user) {
  await page.goto(`${portal.url}/login`);
  await page.fill('#username', user);
  await page.fill('#password', portal.accounts[user]);
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/login"] button[type=submit]')]);
}

async function fillRequest(page, L, js) {
  await page.fill('#niss', L.niss);
  await page.fill('#last_name', 'Testperson');
  await page.fill('#first_name', 'Eve');
  // The birth date is not typed: it comes from the NISS (while typing with JavaScript, on
  // the next round trip without).
  await page.fill('#contract_start', '2026-12-21');
  // Three past periods, each added with the "add" button (a real submit, enhanced by htmx):
  // a part-time job (4 days, 19 of 38 hours), work in France chosen from the country list,
  // and raising a disabled child born just before.
  for (const [i, kind, start, end, more] of [
    [0, 'work', '2024-01-01', '2024-06-30', { days: '4', hours: '19' }],
    [1, 'foreign_work', '2024-07-01', '2024-12-31', { country: 'FR' }],
    [2, 'child_raising', '2025-01-01', '2025-06-30', { child: '2024-12-20' }],
  ]) {
    await page.getByRole('button', { name: L.addPeriod }).click();
    await page.waitForSelector(`#h${i}_kind`, { timeout: T });
    await page.selectOption(`#h${i}_kind`, kind);
    await page.fill(`#h${i}_start`, start);
    await page.fill(`#h${i}_end`, end);
    if (more.country) await page.selectOption(`#h${i}_country`, more.country);
    if (more.days) {
      await page.fill(`#h${i}_days`, more.days);
      await page.fill(`#h${i}_hours`, more.hours);
    }
    // Only the groups the kind takes are shown (CSS, with or without JavaScript).
    ok((await page.isVisible(`#h${i}_child_birth_date`)) === !!more.child, `period ${i}: child fields shown only for child raising`);
    ok((await page.isVisible(`#h${i}_country`)) === !!more.country, `period ${i}: country shown only for work abroad`);
    if (more.child) {
      await page.fill(`#h${i}_child_birth_date`, more.child);
      await page.check(`#h${i}_child_disabled`);
    }
  }
  ok((await page.inputValue('#birth_date')) === '1990-01-25', 'birth date filled from the NISS');
  await page.fill('#contact_name', 'Service insertion');
  await page.fill('#contact_email', 'insertion@cpas.example');
  if (!js) {
    await page.getByRole('button', { name: L.simulate }).click();
    await page.waitForLoadState('load');
  }
  // The simulation region shows the engine's end date (live with htmx, after the button without).
  await page.waitForFunction(
    (t) => document.querySelector('#simulation')?.textContent.includes(t),
    L.endDate,
    { timeout: T },
  );
  ok(true, 'simulation shown');
  if (js) {
    // Live: editing a field updates the result without any submit (htmx posts the form).
    const before = await page.textContent('#simulation');
    await page.fill('#weekly_hours', '19');
    await page.waitForFunction((b) => document.querySelector('#simulation')?.textContent !== b, before, { timeout: T });
    ok(true, 'simulation updated while typing');
    await page.fill('#weekly_hours', '38');
    await page.waitForFunction((b) => document.querySelector('#simulation')?.textContent === b, before, { timeout: T })
      .catch(() => ok(false, 'simulation back to the full-time result'));
  }
  // An attachment chosen in the form (last: a full-page re-render, as without JavaScript, forgets chosen files).
  await page.setInputFiles('#files', {
    name: 'U1-attestation.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'),
  });
}

async function flow(browser, portal, lang, js) {
  const L = texts[lang];
  // axe runs inside the page: only where JavaScript is on (the same pages were checked then).
  const axe = js ? axeCheck : async () => {};
  const tag = `${lang}${js ? '' : ' (no JS)'}`;
  console.log(`flow ${tag}`);
  const wctx = await browser.newContext({ bypassCSP: true, javaScriptEnabled: js, locale: lang, viewport: { width: 1200, height: 900 } });
  const w = await wctx.newPage();
  await login(w, portal, L.worker);
  ok(w.url().endsWith('/dashboard'), `${tag}: worker lands on the dashboard (${w.url()})`);
  await axe(w, `${tag} dashboard`);
  if (js && lang === 'fr') await shot(w, 'dashboard-fr.png');
  await w.goto(`${portal.url}/requests/new`);
  await axe(w, `${tag} new request (blank)`);
  await fillRequest(w, L, js);
  await axe(w, `${tag} new request with simulation`);
  if (js && lang === 'fr') await shot(w, 'new-request-simulation-fr.png');
  await w.getByRole('button', { name: L.send }).click();
  try {
    await w.waitForURL(/\/requests\/\d+/, { timeout: T });
  } catch (e) {
    const summary = await w.textContent('#error-summary').catch(() => '(no error summary)');
    throw new Error(`${tag}: sending did not reach the request page: ${summary}`);
  }
  const url = w.url();
  ok(!url.includes('90012503347') && !url.includes('Testperson'), `${tag}: no personal data in the URL`);
  ok((await w.textContent('main')).includes(L.sent), `${tag}: sent notice`);
  ok((await w.textContent('main')).includes('U1-attestation.pdf'), `${tag}: the attachment was stored`);
  // The engine read what the form said: the part-time job converts by its hours (Q of S),
  // and the child-raising period is part of the request.
  const sentMain = await w.textContent('main');
  ok(sentMain.includes('A×Q/R×6/S'), `${tag}: the part-time past job counted by its hours`);
  ok(sentMain.includes(L.childRaising), `${tag}: the child-raising period was stored`);
  const reference = (await w.textContent('h1')).match(/A60-\d{4}-\d{6}/)?.[0];
  ok(!!reference, `${tag}: reference shown`);
  await axe(w, `${tag} request page (sent)`);

  const octx = await browser.newContext({ bypassCSP: true, javaScriptEnabled: js, locale: lang, viewport: { width: 1200, height: 900 } });
  const o = await octx.newPage();
  await login(o, portal, L.officer);
  ok(o.url().endsWith('/queue'), `${tag}: officer lands on the queue`);
  await axe(o, `${tag} queue`);
  if (js && lang === 'fr') await shot(o, 'queue-fr.png');
  await Promise.all([o.waitForLoadState('load'), o.getByRole('link', { name: reference }).click()]);
  await axe(o, `${tag} officer request page`);
  if (js && lang === 'fr') await shot(o, 'decision-fr.png');
  // Missing justification: the error is next to the field.
  await o.fill('#end_date', '2028-01-31');
  await Promise.all([o.waitForLoadState('load'), o.getByRole('button', { name: L.override }).click()]);
  ok(await o.isVisible('#justification-err'), `${tag}: justification error shown`);
  ok((await o.getAttribute('#justification', 'aria-describedby')) === 'justification-err', `${tag}: error linked`);
  await axe(o, `${tag} officer page with error`);
  await o.fill('#end_date', '2028-01-31');
  await o.fill('#justification', 'U1 attestation received; period abroad confirmed.');
  await Promise.all([o.waitForLoadState('load'), o.getByRole('button', { name: L.override }).click()]);
  ok((await o.textContent('main')).includes(L.overridden), `${tag}: decision recorded`);

  await w.reload();
  const main = await w.textContent('main');
  ok(main.includes(L.overridden) && main.includes('31/01/2028') && main.includes('01/02/2028'), `${tag}: the agent sees the override`);
  ok(await w.isVisible('.timeline svg[role="img"]'), `${tag}: timeline shown`);
  // Issue 13 §2: the answer in a sentence and why, the quarter arithmetic folded away.
  ok(await w.isVisible('#answer') && (await w.locator('#why li').count()) >= 3, `${tag}: plain explanation shown`);
  ok(!(await w.isVisible('details.arithmetic ol.steps')), `${tag}: arithmetic folded in <details>`);
  await axe(w, `${tag} result page`);
  if (js) await shot(w, `result-${lang}.png`);
  await w.goto(`${url.split('?')[0]}/print`);
  await axe(w, `${tag} print page`);
  if (js && lang === 'fr') await shot(w, 'print-fr.png');
  // The answer letter (issue 13 §3): a button next to "print" on the answered request, a PDF.
  await w.goto(url.split('?')[0]);
  ok(await w.isVisible('#letter-pdf'), `${tag}: letter button shown`);
  const letter = await w.request.get(`${portal.url}${await w.getAttribute('#letter-pdf', 'href')}`);
  const type = letter.headers()['content-type'];
  ok(letter.status() === 200 && type === 'application/pdf', `${tag}: the letter is a PDF (${letter.status()} ${type})`);
  ok((await letter.body()).subarray(0, 5).toString() === '%PDF-', `${tag}: the letter starts as a PDF`);
  await w.goto(`${portal.url}/verify`);
  await axe(w, `${tag} letter check form`);
  await wctx.close();
  await octx.close();
}

async function publicPages(browser, portal, lang) {
  console.log(`public pages ${lang}`);
  const ctx = await browser.newContext({ bypassCSP: true, locale: lang, extraHTTPHeaders: { 'Accept-Language': lang } });
  const p = await ctx.newPage();
  await p.goto(`${portal.url}/login`);
  ok((await p.getAttribute('html', 'lang')) === lang, `login follows Accept-Language ${lang}`);
  await axeCheck(p, `${lang} login`);
  if (lang === 'fr') await shot(p, 'login-fr.png');
  await p.goto(`${portal.url}/directory`);
  await axeCheck(p, `${lang} directory`);
  if (lang === 'nl') await shot(p, 'directory-nl.png');
  // The law book (issue 12 part E): public, one section per article, in both regimes.
  for (const at of ['2025-06-01', '2026-06-01']) {
    await p.goto(`${portal.url}/law?at=${at}`);
    ok((await p.locator('main section.law-article').count()) === 16, `${lang} law book ${at}: 16 articles`);
    await axeCheck(p, `${lang} law book ${at}`);
  }
  const r = await p.goto(`${portal.url}/no-such-page`);
  ok(r.status() === 404, `${lang} 404 status`);
  await axeCheck(p, `${lang} 404 page`);
  // Login error next to the form.
  await p.goto(`${portal.url}/login`);
  await p.fill('#username', 'cpas.namur');
  await p.fill('#password', 'not-the-password');
  await Promise.all([p.waitForLoadState('load'), p.click('form[action="/login"] button[type=submit]')]);
  ok(await p.isVisible('#login-err'), `${lang} login error shown`);
  await axeCheck(p, `${lang} login with error`);
  await ctx.close();
}

async function morePages(browser, portal, lang) {
  console.log(`more pages ${lang}`);
  const L = texts[lang];
  const ctx = await browser.newContext({ bypassCSP: true, locale: lang });
  const p = await ctx.newPage();
  await login(p, portal, L.worker);
  // The officers' queue for a CPAS worker: the 403 page.
  const r = await p.goto(`${portal.url}/queue`);
  ok(r.status() === 403, `${lang} 403 status`);
  await axeCheck(p, `${lang} 403 page`);
  // The form sent empty: every error next to its field (swapped in by htmx, status 422).
  await p.goto(`${portal.url}/requests/new`);
  await p.getByRole('button', { name: L.send }).click();
  await p.waitForSelector('#error-summary', { timeout: T });
  ok(await p.isVisible('#niss-err'), `${lang} NISS error shown`);
  ok((await p.getAttribute('#birth_date', 'aria-invalid')) === 'true', `${lang} invalid field marked`);
  await axeCheck(p, `${lang} new request with errors`);
  // A draft's edit page: save a draft, then open its edit page.
  await p.goto(`${portal.url}/requests/new`);
  await fillRequest(p, L, true);
  await p.getByRole('button', { name: L.save }).click();
  await p.waitForURL(/\/requests\/\d+/, { timeout: T });
  await Promise.all([p.waitForLoadState('load'), p.locator('a[href$="/edit"]').first().click()]);
  ok(/\/requests\/\d+\/edit$/.test(p.url()), `${lang} edit page reached`);
  await axeCheck(p, `${lang} edit page`);
  await ctx.close();
}

async function cspClean(browser, portal) {
  console.log('csp');
  const ctx = await browser.newContext({ locale: 'fr' });
  const p = await ctx.newPage();
  const violations = [];
  p.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await login(p, portal, 'cpas.namur');
  await p.goto(`${portal.url}/requests/new`);
  await fillRequest(p, texts.fr, true);
  await p.goto(`${portal.url}/dashboard`);
  ok(violations.length === 0, `no CSP violation: ${violations.join(' | ')}`);
  await ctx.close();
}

async function keyboard(browser, portal) {
  console.log('keyboard');
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'fr' });
  const p = await ctx.newPage();
  await login(p, portal, 'cpas.namur');
  await p.goto(`${portal.url}/requests/new`);
  await p.keyboard.press('Tab');
  ok(await p.evaluate(() => document.activeElement?.classList.contains('skip-link')), 'skip link is the first stop');
  // Every control of the page is reachable with Tab.
  const wanted = await p.evaluate(() =>
    [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')]
      .filter((e) => e.offsetParent !== null || e.classList.contains('skip-link'))
      .map((e, i) => { e.dataset.kbd = String(i); return String(i); }));
  const seen = new Set();
  for (let i = 0; i < wanted.length + 10; i++) {
    const k = await p.evaluate(() => document.activeElement?.dataset?.kbd);
    if (k) seen.add(k);
    await p.keyboard.press('Tab');
  }
  const missing = wanted.filter((k) => !seen.has(k));
  ok(missing.length === 0, `all ${wanted.length} controls reachable by keyboard (missing ${missing.length})`);
  // Adding a row with the keyboard puts the focus in the new row (htmx honours autofocus).
  await p.focus('#add-history');
  await p.keyboard.press('Enter');
  await p.waitForSelector('#h0_kind', { timeout: T });
  await p.waitForFunction(() => document.activeElement?.id === 'h0_kind', null, { timeout: T })
    .then(() => ok(true, 'focus in the new row'))
    .catch(async () => ok(false, `focus in the new row (on ${await p.evaluate(() => document.activeElement?.id || document.activeElement?.tagName)})`));
  // A visible focus indicator.
  await p.focus('#niss');
  const outline = await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  ok(outline !== 'none', `visible focus (${outline})`);
  await ctx.close();
}

// ---- main ----
const portal = await startPortal();
console.log(`portal at ${portal.url}`);
let browser;
try {
  // launch() gives every run a fresh temporary profile (user-data-dir), removed on close.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  for (const lang of ['fr', 'nl']) await publicPages(browser, portal, lang);
  await (await import('./dmfa.mjs')).default({ browser, portal, ok, axeCheck, login, shot, T });
  await flow(browser, portal, 'fr', true);
  await flow(browser, portal, 'nl', true);
  await flow(browser, portal, 'fr', false);
  for (const lang of ['fr', 'nl']) await morePages(browser, portal, lang);
  await keyboard(browser, portal);
  await cspClean(browser, portal);
  await (await import('./contact.mjs')).contactFlow(browser, portal, { ok, axeCheck, login, shot });
  await notifyTests(browser, portal, { ok, axeCheck, login });
  await issue13Tests(browser, portal, { ok, axeCheck, login, shot });
  await impactTests(browser, portal, { ok, axeCheck, login });
} catch (e) {
  failures.push(`crashed: ${e.stack || e}`);
  console.log(e);
} finally {
  if (browser) await browser.close();
  portal.proc.stdin.end();
}
console.log(`${checks} checks, ${failures.length} failures`);
for (const f of failures) console.log(`FAIL: ${f}`);
process.exit(failures.length ? 1 : 0);
