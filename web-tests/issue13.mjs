// Browser checks of issue 13 §5: the main pages on a 390 px wide screen in Dutch and German
// (no sideways scroll, the result's terms stacked, the timeline scrolling in its own box), no
// console error, the favicon, error pages with the signed-in menu, a refused post that reloads
// as a page, the officer's dashboard address, the notifications' order, the officer's thread
// heading, unbroken phone numbers and the link to the letter check; and §4: the person facts
// and a past job's weekdays entered with and without JavaScript, kept after a refused send,
// stored with the request.
// Called from run.mjs: issue13Tests(browser, portal, { ok, axeCheck, login, shot }).

const T = 15000;

// Collects what the pages of a context report as errors (console and uncaught exceptions).
function watch(page, errors, expected = () => false) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected(m)) errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
}

async function noSideScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
}

async function firstRequestLink(page) {
  return page.getAttribute('main table a[href^="/requests/"]', 'href');
}

export async function issue13Tests(browser, portal, { ok, axeCheck, login, shot }) {
  const errors = [];
  // ---- 390 px wide, in Dutch and German ----
  for (const [lang, worker, officer] of [['nl', 'ocmw.brussel', 'onem.brussels'], ['de', 'oeshz.eupen', 'onem.verviers']]) {
    console.log(`narrow ${lang}`);
    const ctx = await browser.newContext({
      bypassCSP: true, locale: lang, extraHTTPHeaders: { 'Accept-Language': lang },
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
    });
    const w = await ctx.newPage();
    watch(w, errors);
    await login(w, portal, worker);
    ok(w.url().endsWith('/dashboard'), `narrow ${lang}: dashboard`);
    ok(await noSideScroll(w), `narrow ${lang}: dashboard has no sideways scroll`);
    if (lang === 'nl') await shot(w, 'dashboard-nl-390.png');
    const link = await firstRequestLink(w);
    ok(!!link, `narrow ${lang}: a request on the dashboard`);
    // Every request of the dashboard: the page fits; where there is a result, it stacks and
    // its timeline scrolls in its own box.
    const links = await w.$$eval('main table a[href^="/requests/"]', (as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
    let timelines = 0;
    for (const href of links) {
      await w.goto(`${portal.url}${href}`);
      ok(await noSideScroll(w), `narrow ${lang}: ${href} has no sideways scroll`);
      if (await w.locator('.timeline').count()) {
        timelines++;
        const tl = await w.$eval('.timeline', (e) => ({ overflow: getComputedStyle(e).overflowX, inside: e.scrollWidth > e.clientWidth, fits: e.getBoundingClientRect().right <= document.documentElement.clientWidth }));
        ok(tl.overflow === 'auto' && tl.inside && tl.fits, `narrow ${lang}: ${href} timeline scrolls inside its box (${JSON.stringify(tl)})`);
        const cols = await w.$eval('dl.result', (e) => getComputedStyle(e).gridTemplateColumns.split(' ').length);
        ok(cols === 1, `narrow ${lang}: ${href} summary stacked (${cols} columns)`);
        if (lang === 'nl' && timelines === 1) await shot(w, 'result-nl-390.png');
      }
    }
    ok(timelines > 0, `narrow ${lang}: a request page with a timeline was seen`);
    await w.goto(`${portal.url}/requests/new`);
    ok(await noSideScroll(w), `narrow ${lang}: the form has no sideways scroll`);
    await w.getByRole('button', { name: lang === 'nl' ? 'Periode toevoegen' : 'Zeitraum hinzufügen' }).click().catch(() => {});
    await w.waitForSelector('#h0_kind', { timeout: T }).catch(() => {});
    ok(await noSideScroll(w), `narrow ${lang}: the form with a period row has no sideways scroll`);
    // The person facts with a work permit row (issue 13 §4).
    await w.check('#foreign_national');
    await w.locator('#add-permit').click().catch(() => {});
    await w.waitForSelector('#w0_start', { timeout: T }).catch(() => {});
    ok(await w.isVisible('#w0_end') && await noSideScroll(w), `narrow ${lang}: the form with a permit row has no sideways scroll`);
    await w.goto(`${portal.url}/directory`);
    ok(await noSideScroll(w), `narrow ${lang}: the directory has no sideways scroll`);
    const o = await ctx.newPage();
    watch(o, errors);
    await ctx.clearCookies();
    await login(o, portal, officer);
    ok(o.url().endsWith('/queue'), `narrow ${lang}: queue`);
    ok(await noSideScroll(o), `narrow ${lang}: the queue has no sideways scroll`);
    if (lang === 'de') await shot(o, 'queue-de-390.png');
    const olink = await firstRequestLink(o);
    if (olink) {
      await o.goto(`${portal.url}${olink}`);
      ok(await noSideScroll(o), `narrow ${lang}: the officer's request page has no sideways scroll`);
    }
    await ctx.close();
  }

  // ---- error pages, the refused post, the officer's addresses (French) ----
  console.log('errors and addresses');
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'fr', extraHTTPHeaders: { 'Accept-Language': 'fr' } });
  const p = await ctx.newPage();
  // The error pages visited on purpose log their own status; nothing else may.
  watch(p, errors, (m) => /status of (400|403|404|405)/.test(m.text()));
  await login(p, portal, 'cpas.namur');
  ok(await p.isVisible('nav a[href="/verify"]'), 'the menu links the letter check');
  ok((await p.getAttribute('link[rel="icon"]', 'href')) === '/static/favicon.svg', 'the favicon is linked');
  const icon = await p.request.get(`${portal.url}/favicon.ico`);
  ok(icon.status() === 200 && icon.headers()['content-type'].startsWith('image/svg+xml'), `favicon.ico answers (${icon.status()})`);
  for (const [path, status, title] of [
    ['/no-such-page', 404, 'Page introuvable'],
    ['/requests/not-a-number', 400, 'Demande incorrecte'],
    ['/queue', 403, 'Accès refusé'],
  ]) {
    const r = await p.goto(`${portal.url}${path}`);
    ok(r.status() === status, `${path}: ${status} (${r.status()})`);
    ok((await p.textContent('h1')).trim() === title, `${path}: translated title`);
    ok(await p.isVisible('nav a[href="/dashboard"]'), `${path}: the signed-in menu`);
    await axeCheck(p, `fr ${status} page signed in`);
  }
  // A form posted to an address that only shows a page: the 405 page, with the menu.
  await p.goto(`${portal.url}/dashboard`);
  const [resp405] = await Promise.all([
    p.waitForNavigation(),
    p.evaluate(() => {
      const f = document.createElement('form');
      f.method = 'post';
      f.action = '/dashboard';
      document.body.append(f);
      f.submit();
    }),
  ]);
  ok(resp405 && resp405.status() === 405, `POST /dashboard: 405 (${resp405 && resp405.status()})`);
  ok((await p.textContent('h1')).trim() === 'Action non disponible', '405: translated title');
  ok(await p.isVisible('nav a[href="/dashboard"]'), '405: the signed-in menu');
  await axeCheck(p, 'fr 405 page signed in');
  // Notifications, newest first.
  await p.goto(`${portal.url}/notifications`);
  const dates = await p.$$eval('main table tbody tr td:first-child', (tds) => tds.map((t) => t.textContent.trim()));
  const stamp = (d) => { const m = d.match(/^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d)$/); return m ? `${m[3]}${m[2]}${m[1]}${m[4]}${m[5]}` : null; };
  const stamps = dates.map(stamp);
  ok(stamps.length >= 2 && stamps.every((s) => s), `notifications dated dd/mm/yyyy hh:mm (${dates.join(', ')})`);
  ok(stamps.every((s, i) => i === 0 || stamps[i - 1] >= s), 'notifications newest first');
  // Phone numbers of the directory stay on one line.
  await p.goto(`${portal.url}/directory`);
  const ws = await p.$eval('main td.nowrap', (e) => getComputedStyle(e).whiteSpace);
  ok(ws === 'nowrap', `directory: phone numbers do not break (${ws})`);
  await ctx.close();

  const octx = await browser.newContext({ bypassCSP: true, locale: 'fr', extraHTTPHeaders: { 'Accept-Language': 'fr' } });
  const o = await octx.newPage();
  // The refused override answers 422 on purpose.
  watch(o, errors, (m) => /status of 422/.test(m.text()));
  await login(o, portal, 'onem.namur');
  await o.goto(`${portal.url}/dashboard`);
  ok(o.url().endsWith('/queue'), `the officer's /dashboard is the queue (${o.url()})`);
  await Promise.all([o.waitForLoadState('load'), o.click('main table th a[href^="/requests/"]')]);
  const page = o.url();
  ok((await o.textContent('#contact-title')).includes('Échanges avec le CPAS'), 'officer: the thread is headed "Échanges avec le CPAS"');
  // A refused post (an override without its justification) shows the page again; loading
  // its address again (Enter in the address bar, a reload as GET) is the request page, not 405.
  await o.fill('#end_date', '2028-01-31');
  await Promise.all([o.waitForLoadState('load'), o.getByRole('button', { name: 'Modifier la date de fin' }).click()]);
  ok(/\/decide$/.test(o.url()) && await o.isVisible('#justification-err'), `refused override shown (${o.url()})`);
  const again = await o.goto(o.url());
  ok(again.status() === 200 && o.url() === page, `the refused post's address loads the request page (${again.status()} ${o.url()})`);
  await octx.close();

  // ---- §4: the person facts and a past job's weekdays, with and without JavaScript ----
  for (const [js, niss] of [[false, '90012504238'], [true, '90012504337']]) {
    await personFacts(browser, portal, { ok, axeCheck, login, js, niss, errors });
  }

  ok(errors.length === 0, `no console error: ${errors.join(' | ')}`);
}

// Fills the facts the person record does not hold (dock worker, career start, foreign
// national with a permit row) and a past job's days of the week; a refused send (a permit
// ending before it starts) keeps them all; the corrected send stores them.
async function personFacts(browser, portal, { ok, axeCheck, login, js, niss, errors }) {
  const tag = `person facts${js ? '' : ' (no JS)'}`;
  console.log(tag);
  const ctx = await browser.newContext({
    bypassCSP: true, javaScriptEnabled: js, locale: 'fr', extraHTTPHeaders: { 'Accept-Language': 'fr' },
    viewport: { width: 1200, height: 900 },
  });
  const p = await ctx.newPage();
  // The refused send answers 422 on purpose.
  watch(p, errors, (m) => /status of 422/.test(m.text()));
  await login(p, portal, 'cpas.namur');
  await p.goto(`${portal.url}/requests/new`);
  ok(!(await p.isVisible('#add-permit')), `${tag}: no permit rows before the box is ticked`);
  await p.fill('#niss', niss);
  await p.fill('#last_name', 'Faits');
  await p.fill('#first_name', 'Ana');
  await p.fill('#birth_date', '1990-01-25');
  await p.fill('#contract_start', '2026-12-21');
  await p.check('#dock_worker_or_fisher');
  await p.fill('#career_start_date', '2023-09-01');
  await p.check('#foreign_national');
  ok(await p.isVisible('#add-permit'), `${tag}: the permit rows appear with the box`);
  await p.getByRole('button', { name: 'Ajouter un permis de travail' }).click();
  await p.waitForSelector('#w0_start', { timeout: T });
  await p.fill('#w0_start', '2024-01-01');
  await p.fill('#w0_end', '2023-01-01');
  await p.getByRole('button', { name: 'Ajouter une période' }).click();
  await p.waitForSelector('#h0_kind', { timeout: T });
  await p.fill('#h0_start', '2024-01-01');
  await p.fill('#h0_end', '2024-06-30');
  await p.fill('#h0_days', '2');
  await p.check('#h0_weekdays-tue');
  await p.check('#h0_weekdays-wed');
  await p.fill('#contact_name', 'Service insertion');
  await p.fill('#contact_email', 'insertion@cpas.example');
  await p.getByRole('button', { name: 'Enregistrer et envoyer à l\'ONEM' }).click();
  await p.waitForSelector('#error-summary', { timeout: T });
  ok(await p.isVisible('#w0_end-err'), `${tag}: the permit's end refused next to it`);
  ok((await p.getAttribute('#w0_end', 'aria-invalid')) === 'true', `${tag}: the permit's end marked invalid`);
  const kept = {
    dock: await p.isChecked('#dock_worker_or_fisher'),
    foreign: await p.isChecked('#foreign_national'),
    career: await p.inputValue('#career_start_date'),
    start: await p.inputValue('#w0_start'),
    end: await p.inputValue('#w0_end'),
    tue: await p.isChecked('#h0_weekdays-tue'),
    wed: await p.isChecked('#h0_weekdays-wed'),
    mon: await p.isChecked('#h0_weekdays-mon'),
  };
  ok(kept.dock && kept.foreign && kept.career === '2023-09-01' && kept.start === '2024-01-01'
    && kept.end === '2023-01-01' && kept.tue && kept.wed && !kept.mon, `${tag}: kept after the refused send (${JSON.stringify(kept)})`);
  if (js) await axeCheck(p, `${tag}: form with permit rows and errors`);
  await p.fill('#w0_end', '2025-12-31');
  await p.getByRole('button', { name: 'Enregistrer et envoyer à l\'ONEM' }).click();
  await p.waitForURL(/\/requests\/\d+/, { timeout: T });
  const facts = await p.textContent('#person-facts');
  ok(facts.includes('Ouvrier portuaire ou marin pêcheur reconnu') && facts.includes('01/09/2023')
    && facts.includes('01/01/2024 – 31/12/2025'), `${tag}: the request page lists the person facts (${facts})`);
  if (js) await axeCheck(p, `${tag}: request page with the person facts`);
  const id = p.url().match(/\/requests\/(\d+)/)[1];
  const stored = await p.request.get(`${portal.url}/api/v1/requests/${id}`);
  const input = stored.ok() ? (await stored.json()).input : {};
  const person = input.person || {};
  const permits = person.work_permits || [];
  ok(person.dock_worker_or_fisher === true && person.career_start_date === '2023-09-01' && person.foreign_national === true
    && permits.length === 1 && permits[0].start === '2024-01-01' && permits[0].end === '2025-12-31'
    && !('niss' in person) && !('birth_date' in person),
  `${tag}: the person facts stored (${stored.status()} ${JSON.stringify(input.person)})`);
  ok(JSON.stringify(input.history?.[0]?.weekdays) === '["tue","wed"]', `${tag}: the job's weekdays stored (${JSON.stringify(input.history)})`);
  await ctx.close();
}
