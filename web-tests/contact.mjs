// Browser tests of "contact your office" and the SPOC escalation (imported by run.mjs).
//
// A CPAS worker opens the request with an unread answer (dashboard badge), writes to the
// office; the officer sees it unread (queue badge, "new" marker) and answers; the worker
// escalates (first refused with the reasons next to the fields, then accepted); the
// federation SPOC sees the ticket without personal data and forwards it; the ONEM SPOC opens
// the case with a reason, without JavaScript. axe-core on every new page.

// The demo person of CPAS de Namur's threads (crates/art60-service/src/demo.rs).
const PERSONAL = ['95031012341', '95.03.10', 'Alice'];

export async function contactFlow(browser, portal, { ok, axeCheck, login, shot }) {
  console.log('contact and escalation (fr)');
  const newCtx = (js = true) => browser.newContext({ bypassCSP: true, javaScriptEnabled: js, locale: 'fr', viewport: { width: 1200, height: 900 } });
  const click = async (page, locator) => Promise.all([page.waitForLoadState('load'), locator.click()]);

  // The worker: the dashboard shows which request has an unread answer.
  const wctx = await newCtx();
  const w = await wctx.newPage();
  await login(w, portal, 'cpas.namur');
  const badgeRow = w.locator('tr', { has: w.locator('.badge.unread') }).first();
  ok(await badgeRow.count() === 1, 'contact: unread badge on the dashboard');
  await click(w, badgeRow.locator('a').first());
  const reference = (await w.textContent('h1')).match(/A60-\d{4}-\d{6}/)?.[0];
  ok(!!reference, 'contact: request page reached');
  ok(await w.locator('#contact .message.unread').count() === 1, 'contact: the answer is marked unread');
  await axeCheck(w, 'contact: request page with thread');
  await shot(w, 'contact-thread-fr.png');
  // A NISS in the message: refused, the error next to the field.
  await w.fill('#body', 'La personne 95031012341 attend toujours.');
  await click(w, w.getByRole('button', { name: 'Envoyer le message' }));
  ok(await w.isVisible('#body-err'), 'contact: NISS refused next to the field');
  ok((await w.getAttribute('#body', 'aria-invalid')) === 'true', 'contact: field marked invalid');
  await axeCheck(w, 'contact: message refused');
  await w.fill('#body', `Nous relançons la demande ${reference} : merci de fixer la date de fin.`);
  await w.setInputFiles('#contact-file', {
    name: 'relance.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n'),
  });
  await click(w, w.getByRole('button', { name: 'Envoyer le message' }));
  ok((await w.textContent('main')).includes('Le message a été envoyé'), 'contact: message sent');
  ok((await w.textContent('#contact')).includes('relance.pdf'), 'contact: attachment listed in the thread');

  // The officer: the queue shows the unread message, the request page marks it new.
  const octx = await newCtx();
  const o = await octx.newPage();
  await login(o, portal, 'onem.namur');
  const row = o.locator('tr', { has: o.getByRole('link', { name: reference }) });
  ok(await row.locator('.badge.unread').count() === 1, 'contact: unread badge in the queue');
  await click(o, o.getByRole('link', { name: reference }));
  const fresh = o.locator('#contact .message.unread');
  ok(await fresh.count() >= 1 && (await fresh.last().textContent()).includes('Nous relançons'), 'contact: the officer sees the message unread');
  await o.fill('#body', 'Bien reçu, la décision suit cette semaine.');
  await click(o, o.getByRole('button', { name: 'Envoyer le message' }));
  ok((await o.textContent('#contact')).includes('Bien reçu'), 'contact: the officer answered');
  await w.reload();
  ok((await w.textContent('#contact')).includes('Bien reçu'), 'contact: the worker sees the answer');

  // The escalation form: refused with every reason, then accepted.
  await click(w, w.getByRole('link', { name: 'Escalader vers ma fédération' }));
  await axeCheck(w, 'escalation form');
  await click(w, w.getByRole('button', { name: 'Escalader' }));
  for (const id of ['means_exhausted', 'payment_delayed', 'payment_delay_since', 'description']) {
    ok(await w.isVisible(`#${id}-err`), `escalation: reason next to ${id}`);
  }
  await axeCheck(w, 'escalation form refused');
  await shot(w, 'escalation-refused-fr.png');
  await w.check('#means_exhausted');
  await w.check('#several_requests');
  await w.check('#payment_delayed');
  const since = new Date(Date.now() - 45 * 86400000).toISOString().slice(0, 10);
  await w.fill('#payment_delay_since', since);
  await w.fill('#description', 'Demande relancée trois fois sans date de fin ; le paiement est retardé.');
  await click(w, w.getByRole('button', { name: 'Escalader' }));
  const ticket = (await w.textContent('h1')).match(/ESC-\d{4}-\d{6}/)?.[0];
  ok(!!ticket, `escalation: ticket created (${w.url()})`);
  await axeCheck(w, 'escalation ticket (CPAS)');
  await w.goto(`${portal.url}/escalations`);
  await axeCheck(w, 'escalations list (CPAS)');

  // The federation SPOC: the ticket, no personal data, forwarded.
  const sctx = await newCtx();
  const s = await sctx.newPage();
  await login(s, portal, 'spoc.uvcw');
  ok(s.url().endsWith('/escalations'), `spoc lands on the escalations (${s.url()})`);
  await axeCheck(s, 'escalations list (SPOC)');
  const noPersonal = async (page, what) => {
    const html = await page.content();
    for (const p of [...PERSONAL, reference]) ok(!html.includes(p), `${what}: no ${p}`);
  };
  await noPersonal(s, 'SPOC list');
  await click(s, s.getByRole('link', { name: ticket }));
  await noPersonal(s, 'SPOC ticket');
  await axeCheck(s, 'escalation ticket (SPOC)');
  await shot(s, 'escalation-spoc-fr.png');
  await click(s, s.getByRole('button', { name: "Transmettre au service central de l'ONEM" }));
  ok((await s.textContent('main')).includes("transmise à l'ONEM"), 'spoc: forwarded');
  await noPersonal(s, 'SPOC ticket forwarded');

  // The ONEM SPOC, without JavaScript: the reason is required, then the case opens.
  const nctx = await newCtx(false);
  const n = await nctx.newPage();
  await login(n, portal, 'spoc.onem');
  await click(n, n.getByRole('link', { name: ticket }));
  await click(n, n.getByRole('button', { name: 'Ouvrir le dossier' }));
  ok(await n.isVisible('#reason-err'), 'onem spoc: reason required');
  await n.fill('#reason', 'Escalade UVCW : vérification de la date de fin.');
  await click(n, n.getByRole('button', { name: 'Ouvrir le dossier' }));
  ok((await n.textContent('h1')).includes(reference), 'onem spoc: the case behind the pseudonym');
  ok(!n.url().includes('reason'), 'onem spoc: the reason is not in the address');
  for (const c of [wctx, octx, sctx, nctx]) await c.close();
}
