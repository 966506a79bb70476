// Browser tests of the notification, account, support, FAQ and office-directory pages.
// Called from run.mjs with its helpers: notifyTests(browser, portal, { ok, axeCheck, login }).

const T = 15000;

async function submit(page, selector) {
  await Promise.all([page.waitForLoadState('load'), page.click(selector)]);
}

export async function notifyTests(browser, portal, { ok, axeCheck, login }) {
  // ---- the support form, anonymous, from the footer of the login page ----
  console.log('support form');
  {
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'fr', extraHTTPHeaders: { 'Accept-Language': 'fr' } });
    const p = await ctx.newPage();
    await p.goto(`${portal.url}/login`);
    await Promise.all([p.waitForLoadState('load'), p.click('footer a[href^="/support"]')]);
    ok((await p.inputValue('#page')) === '/login', 'support: the page it came from is prefilled');
    await axeCheck(p, 'fr support form');
    await p.fill('#message', 'Le dossier de 90012503347 ne s\'ouvre pas');
    await submit(p, 'form[action="/support"] button[type=submit]');
    ok(await p.isVisible('#message-err'), 'support: a NISS is refused next to the field');
    ok((await p.getAttribute('#message', 'aria-invalid')) === 'true', 'support: the field is marked invalid');
    await axeCheck(p, 'fr support form with error');
    await p.fill('#message', 'La page de connexion est lente');
    await p.fill('#contact_email', 'agent@cpas.example');
    await submit(p, 'form[action="/support"] button[type=submit]');
    ok(await p.isVisible('.notice.ok'), 'support: thanks shown');
    await ctx.close();
  }

  // ---- the FAQ in four languages ----
  console.log('faq');
  const faqTitles = { fr: 'Questions fréquentes', nl: 'Veelgestelde vragen', de: 'Häufige Fragen', en: 'Questions and answers' };
  for (const [lang, title] of Object.entries(faqTitles)) {
    const ctx = await browser.newContext({ bypassCSP: true, locale: lang, extraHTTPHeaders: { 'Accept-Language': lang } });
    const p = await ctx.newPage();
    await p.goto(`${portal.url}/faq`);
    ok((await p.textContent('h1')).trim() === title, `faq ${lang}: title`);
    ok((await p.locator('main h2').count()) === 7, `faq ${lang}: seven questions`);
    await axeCheck(p, `${lang} faq`);
    if (lang === 'nl') {
      await p.goto(`${portal.url}/directory`);
      ok((await p.textContent('main')).includes('te bevestigen'), 'directory: La Louvière marked to confirm');
    }
    await ctx.close();
  }

  // ---- the account's language: saved on the account page and by the switch ----
  console.log('account language');
  {
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'de' });
    const p = await ctx.newPage();
    await login(p, portal, 'oeshz.eupen');
    ok((await p.getAttribute('html', 'lang')) === 'de', 'account: German CPAS starts in German');
    await p.goto(`${portal.url}/account`);
    await axeCheck(p, 'de account page');
    await p.selectOption('#language', 'fr');
    await p.fill('#email', 'not an address');
    // The browser's own check would stop the form: test the server's answer.
    await p.evaluate(() => { document.querySelector('form[action="/account"]').noValidate = true; });
    await submit(p, 'form[action="/account"] button[type=submit]');
    ok(await p.isVisible('#email-err'), 'account: bad e-mail shown next to the field');
    await axeCheck(p, 'de account page with error');
    await p.selectOption('#language', 'fr');
    await p.fill('#email', 'eupen@oeshz.example');
    await p.uncheck('#mail-received');
    await submit(p, 'form[action="/account"] button[type=submit]');
    ok((await p.getAttribute('html', 'lang')) === 'fr', 'account: the page is now French');
    ok(await p.isVisible('.notice.ok'), 'account: saved');
    ok(!(await p.isChecked('#mail-received')), 'account: the e-mail choice is kept');
    await ctx.close();
    // A new browser (no language cookie) gets the account's language after sign-in.
    const ctx2 = await browser.newContext({ bypassCSP: true, locale: 'de', extraHTTPHeaders: { 'Accept-Language': 'de' } });
    const p2 = await ctx2.newPage();
    await login(p2, portal, 'oeshz.eupen');
    ok((await p2.getAttribute('html', 'lang')) === 'fr', 'account: language follows the account, not the browser');
    // The switch saves to the account too.
    await submit(p2, 'form.lang-switch button[value="nl"]');
    ok((await p2.getAttribute('html', 'lang')) === 'nl', 'switch: page in Dutch');
    await ctx2.close();
    const ctx3 = await browser.newContext({ bypassCSP: true, locale: 'de' });
    const p3 = await ctx3.newPage();
    await login(p3, portal, 'oeshz.eupen');
    ok((await p3.getAttribute('html', 'lang')) === 'nl', 'switch: the choice was saved to the account');
    await ctx3.close();
  }

  // ---- notifications: the demo's workflow left some for the Namur worker ----
  console.log('notifications');
  {
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'fr' });
    const p = await ctx.newPage();
    await login(p, portal, 'cpas.namur');
    const link = p.locator('header a[href="/notifications"]');
    const before = (await link.textContent()).trim();
    ok(/\d/.test(before), `notifications: unread count in the header (${before})`);
    await p.goto(`${portal.url}/notifications`);
    const rows = await p.locator('main tbody tr').count();
    ok(rows > 0, `notifications: listed (${rows})`);
    await axeCheck(p, 'fr notifications page');
    await submit(p, 'main tbody form[action$="/read"] button');
    const after = (await p.locator('header a[href="/notifications"]').textContent()).trim();
    ok(after !== before, `notifications: one marked read (${before} -> ${after})`);
    await submit(p, 'form[action="/notifications/read"] button');
    ok((await p.locator('main strong').count()) === 0, 'notifications: all read');
    await ctx.close();
  }

  // ---- administrator: office directory and feedback ----
  console.log('admin pages');
  {
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'en', extraHTTPHeaders: { 'Accept-Language': 'en' } });
    const p = await ctx.newPage();
    await login(p, portal, 'admin');
    await p.goto(`${portal.url}/admin/offices`);
    await axeCheck(p, 'en admin offices');
    const form = p.locator('form[action^="/admin/offices/"]').filter({ hasText: 'Arlon' });
    await form.locator('input[name="area"]').fill('Province de Luxembourg');
    await Promise.all([p.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
    ok(await p.isVisible('.notice.ok'), 'admin: office saved');
    await p.goto(`${portal.url}/directory`);
    ok((await p.textContent('main')).includes('Province de Luxembourg'), 'admin: the edit shows in the public directory');
    await p.goto(`${portal.url}/admin/feedback`);
    const main = await p.textContent('main');
    ok(main.includes('La page de connexion est lente') && main.includes('/login'), 'admin: feedback listed with its page');
    await axeCheck(p, 'en admin feedback');
    await ctx.close();
  }
}
