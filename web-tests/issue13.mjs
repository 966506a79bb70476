// Browser checks of issue 13 §5: the main pages on a 390 px wide screen in Dutch and German
// (no sideways scroll, the result's terms stacked, the timeline scrolling in its own box), no
// console error, the favicon, error pages with the signed-in menu, a refused post that reloads
// as a page, the officer's dashboard address, the notifications' order, the officer's thread
// heading, unbroken phone numbers and the link to the letter check.
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

  ok(errors.length === 0, `no console error: ${errors.join(' | ')}`);
}
