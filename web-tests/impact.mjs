// Browser checks of the "Impact d'une réforme" page (issue 15 §2). Called from run.mjs:
// impactTests(browser, portal, { ok, axeCheck, login }).

async function submit(page, selector) {
  await Promise.all([page.waitForLoadState('load'), page.click(selector)]);
}

export async function impactTests(browser, portal, { ok, axeCheck, login }) {
  console.log('reform impact');
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'fr', extraHTTPHeaders: { 'Accept-Language': 'fr' } });
  const p = await ctx.newPage();
  await login(p, portal, 'onem.namur');
  await submit(p, 'nav a[href="/impact"]');
  ok((await p.textContent('h1')).trim() === "Impact d'une réforme", 'impact: the page from the menu');
  await axeCheck(p, 'fr impact form');
  await p.selectOption('#example', 'shorter-2027.toml');
  await submit(p, 'form[action="/impact"] button[type=submit]');
  ok(/\/impact\/\d+$/.test(p.url()), `impact: the run's page (${p.url()})`);
  ok(await p.isVisible('figure.impact-chart svg'), 'impact: the chart is drawn');
  ok((await p.locator('main table').count()) >= 2, 'impact: summary and rows');
  // A reader is told why in words (the explanation's sentence), not by a step key.
  const whys = await p.$$eval('td.why', (tds) => tds.map((t) => t.textContent.trim()));
  ok(whys.length > 0 && whys.every((w) => w && !/^[a-z_0-9]+(\.[a-z_0-9]+)+$/.test(w)), `impact: each row says why in words (${whys[0]})`);
  ok((await p.textContent('dl.facts')).includes('01/01/2027'), 'impact: what the proposal changes, dated as on the portal');
  await axeCheck(p, 'fr impact run');
  const csv = await p.getAttribute('a[download]', 'href');
  const r = await p.request.get(`${portal.url}${csv}`);
  ok(r.ok() && (await r.text()).startsWith('reference,'), 'impact: CSV downloads');
  await p.selectOption('#change', 'earlier');
  await submit(p, `form[action^="/impact/"][method="get"] button[type=submit]`);
  ok(p.url().includes('change=earlier'), 'impact: the change filter');
  await submit(p, 'form[action$="/notify"] button[type=submit]');
  ok(await p.isVisible('.notice.ok'), 'impact: CPAS notified');
  await submit(p, 'form[action$="/notify"] button[type=submit]');
  ok((await p.textContent('.notice.ok')).includes('0 demande'), 'impact: nothing sent twice');
  await ctx.close();
}
