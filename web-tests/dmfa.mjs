// Browser test of the DmfA part of the request page (demo data: crates/art60-service/src/
// demo_dmfa.rs, a CPAS de Namur draft whose typed job overlaps the declared one): the tables per
// employer and quarter, sending refused with the message next to
// the typed period, the conflict settled (an error next to the justification, then a choice
// saved without JavaScript), the request sent, and the officer's view with the person and the
// settlement and the DmfA job on the timeline. axe-core (WCAG 2.1 AA) on each page.

export default async function dmfa({ browser, portal, ok, axeCheck, login, shot, T }) {
  console.log('dmfa review (fr)');
  const ctxOpts = (js) => ({ bypassCSP: true, javaScriptEnabled: js, locale: 'fr', viewport: { width: 1200, height: 900 } });
  const wctx = await browser.newContext(ctxOpts(true));
  const w = await wctx.newPage();
  await login(w, portal, 'cpas.namur');
  // The demo request with a conflict: the most recent draft of the CPAS that shows one.
  const hrefs = await w.$$eval('main a[href^="/requests/"]', (as) => as.map((a) => a.getAttribute('href')));
  const ids = [...new Set(hrefs.map((h) => Number(h.split('/')[2])).filter((n) => n > 0))].sort((a, b) => b - a);
  let path = null;
  for (const id of ids) {
    await w.goto(`${portal.url}/requests/${id}`);
    if (await w.$('#dmfa ul.conflicts li')) { path = `/requests/${id}`; break; }
  }
  ok(!!path, 'dmfa: the demo request with a DmfA conflict is listed');
  if (!path) { await wctx.close(); return; }
  const main = async (p) => (await p.textContent('main')).replace(/\s+/g, ' ');
  let text = await main(w);
  ok(text.includes('Déclarations DmfA') && text.includes('Employeur ONSS 1234567'), 'dmfa: table per employer');
  ok(text.includes('non-interruption'), 'dmfa: undeclared quarters marked (no interruption rule)');
  ok(text.includes('Pas encore réglé'), 'dmfa: the conflict is not settled yet');
  ok(await w.$('#dmfa table caption') !== null, 'dmfa: tables have a caption');
  await axeCheck(w, 'dmfa request page (conflict)');
  await shot(w, 'dmfa-conflict-fr.png');

  // Sending is refused: the message stands next to the typed period.
  await Promise.all([w.waitForLoadState('load'), w.click(`form[action="${path}/send"] button[type=submit]`)]);
  ok(await w.isVisible('#history-0 .field-error'), 'dmfa: send refused, error next to the typed period');
  ok((await w.textContent('#history-0')).includes('en conflit avec la DmfA'), 'dmfa: the refusal is in French');
  await axeCheck(w, 'dmfa request page (send refused)');

  // Keeping the period needs a justification: the error is next to the field.
  await w.check('#conflict-0-0-keep');
  await Promise.all([w.waitForLoadState('load'), w.click('#conflict-0-0 button[type=submit]')]);
  ok(await w.isVisible('#conflict-0-0-just-error'), 'dmfa: justification error shown');
  ok((await w.getAttribute('#conflict-0-0-just', 'aria-invalid')) === 'true', 'dmfa: the field is marked invalid');
  await axeCheck(w, 'dmfa request page (justification missing)');
  await wctx.close();

  // Without JavaScript: use the DmfA, then send.
  const nctx = await browser.newContext(ctxOpts(false));
  const n = await nctx.newPage();
  await login(n, portal, 'cpas.namur');
  await n.goto(`${portal.url}${path}`);
  await n.check('#conflict-0-0-use');
  await Promise.all([n.waitForLoadState('load'), n.click('#conflict-0-0 button[type=submit]')]);
  text = await main(n);
  ok(text.includes('Votre choix a été enregistré') && text.includes('la DmfA est utilisée'), 'dmfa (no JS): the choice is saved and shown');
  await Promise.all([n.waitForLoadState('load'), n.click(`form[action="${path}/send"] button[type=submit]`)]);
  ok((await main(n)).includes('La demande a été envoyée'), 'dmfa (no JS): sent once settled');
  await nctx.close();

  // The officer: who it is about, the DmfA and the settlement, no settling form.
  const octx = await browser.newContext(ctxOpts(true));
  const o = await octx.newPage();
  await login(o, portal, 'onem.namur');
  await o.goto(`${portal.url}${path}`);
  text = await main(o);
  ok(text.includes('Déclarée Emma') && text.includes('15/06/1990'), 'dmfa: the officer sees the person');
  ok(text.includes('la DmfA est utilisée') && text.includes('Écarté du dernier calcul'), 'dmfa: the officer sees the settlement');
  ok(!(await o.$('#dmfa form')), 'dmfa: the officer cannot settle');
  // Calculated: the timeline draws what the engine got, the DmfA job on its own dashed row.
  ok((await o.$$('svg .tl-dmfa')).length > 0, 'dmfa: the DmfA job is on the timeline, dashed');
  ok((await o.textContent('svg')).includes('(DmfA)'), 'dmfa: the timeline says which row is DmfA');
  await axeCheck(o, 'dmfa officer request page');
  await shot(o, 'dmfa-officer-fr.png');
  await octx.close();
}
