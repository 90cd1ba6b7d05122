// Drives the dashboard in Debian's Chromium (playwright-core, no bundled browser):
//   node dashboard.mjs URL KEY SCREENSHOT_DIR
// Signs in, watches a fleet's counters move on Overview, opens a run's transcript, decides an
// approval and pauses, resumes and kills fleets when the server has those routes (else records
// "skipped: no route"). Prints one JSON line of results; exits 1 with {"error"} on a failure.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(new URL('../../../../.ci/npm/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [url, key, shots] = process.argv.slice(2);
if (!url || !key || !shots) {
  console.error('usage: node dashboard.mjs URL KEY SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const results = { screenshots: [] };
const pageErrors = [];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
let page;
try {
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(20000);
  page.on('pageerror', e => pageErrors.push(String(e)));
  const shot = async name => {
    const file = join(shots, name + '.png');
    await page.screenshot({ path: file, fullPage: false });
    results.screenshots.push(file);
  };

  // Sign in
  await page.goto(url);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-name').waitFor();
  results.principal = await page.locator('#who-name').textContent();

  // Overview: a fleet's succeeded counter moves between two readings, live from the progress stream
  const card = page.locator('[data-fleet="default/notes"]');
  const succeeded = card.locator('.counter[data-k="succeeded"] dd');
  await succeeded.waitFor();
  const number = async () => Number((await succeeded.textContent()).replace(/,/g, ''));
  const before = await number();
  let after = before;
  const deadline = Date.now() + 45000;
  while (after <= before && Date.now() < deadline) {
    await page.waitForTimeout(500);
    after = await number();
  }
  if (after <= before) throw new Error(`the succeeded counter did not move (stayed at ${before})`);
  results.overview = { before, after, simulatedBadge: await page.locator('#sim-badge').isVisible() };
  // Alerts: the guarded fleet's calls wait for an approval
  const alert = page.locator('#alerts [data-kind="awaiting_approval"]');
  await alert.waitFor({ timeout: 15000 });
  results.overview.alert = (await alert.textContent()).trim();
  await page.waitForTimeout(2500); // a few points on the live charts
  await shot('overview');

  // Deploy: the sample fleet from the Overview's form appears as a new card
  await page.locator('details.deploy summary').click();
  await page.locator('details.deploy button.primary').click();
  await page.locator('details.deploy .result .ok').waitFor({ timeout: 15000 });
  results.deploy = (await page.locator('details.deploy .result').textContent()).trim();
  await page.locator('[data-fleet="default/try-me"]').waitFor({ timeout: 15000 });

  // Runs: the table, filtered to the fleet's succeeded runs; open one
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  await page.locator('tr[data-run]').first().waitFor();
  await page.getByLabel('Fleet').selectOption('notes');
  await page.getByLabel('State').selectOption('succeeded');
  const link = page.locator('tr[data-run] a').first();
  await link.waitFor();
  results.runs = { loaded: await page.locator('tr[data-run]').count() };
  await shot('runs');
  const runId = await link.textContent();
  await link.click();

  // Run: the transcript shows a tool call and the final state
  await page.locator('#transcript .toolcall').first().waitFor();
  await page.locator('#transcript .final-state').waitFor();
  results.run = {
    id: runId,
    toolCalls: await page.locator('#transcript .toolcall').count(),
    tool: (await page.locator('#transcript .toolcall .tool code').first().textContent()).trim(),
    finalState: (await page.locator('#transcript .final-state .state').first().textContent()).trim(),
    modelCalls: await page.locator('#transcript .ev-model_responded').count(),
  };
  await page.locator('#transcript .toolcall summary').first().click(); // expand a collapsed call
  await shot('run');

  // Approvals: approve one pending call with a comment, when the server has the route
  await page.getByRole('link', { name: /^Approvals/ }).click();
  const approval = page.locator('.approval').first();
  const missing = page.locator('.view-approvals .notice.unavailable');
  await Promise.race([approval.waitFor(), missing.waitFor()]);
  if (await missing.isVisible()) {
    results.approvals = 'skipped: no route';
  } else {
    await approval.getByLabel('Comment').fill('looks right: approved by the browser test');
    await approval.getByRole('button', { name: 'Approve' }).click();
    await approval.locator('.result.ok').waitFor();
    results.approvals = 'approved';
  }
  await shot('approvals');

  // Deliveries and audit: each shows its data or says it is not available
  for (const view of ['deliveries', 'audit']) {
    await page.getByRole('link', { name: view[0].toUpperCase() + view.slice(1), exact: true }).click();
    await page.locator(`.view-${view} table`).waitFor();
    await page.waitForTimeout(800);
    results[view] = (await page.locator(`.view-${view} .notice.unavailable`).count()) > 0 ? 'skipped: no route'
      : (await page.locator(`.view-${view} .notice.error`).count()) > 0
        ? 'error: ' + (await page.locator(`.view-${view} .notice.error`).first().textContent()) : 'shown';
    await shot(view);
  }

  // Control: pause, resume one fleet, kill another, each through its confirmation dialog
  await page.getByRole('link', { name: 'Control', exact: true }).click();
  const row = page.locator('tr[data-fleet="default/notes"]');
  await row.waitFor();
  const logItems = page.locator('#control-log li');
  const act = async (fleet, button, reason) => {
    const n = await logItems.count();
    await page.locator(`tr[data-fleet="${fleet}"]`).getByRole('button', { name: button }).click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor();
    if (reason) await dialog.getByLabel('Reason').fill(reason);
    await dialog.locator('#confirm-ok').click();
    await page.waitForFunction(k => document.querySelectorAll('#control-log li').length > k, n);
    return (await logItems.first().textContent()).trim();
  };
  // Scale first, while the fleet runs: the dialog asks for the number of runs at once
  {
    const n = await logItems.count();
    await row.getByRole('button', { name: 'Scale' }).click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor();
    await dialog.getByLabel('Runs at once').fill('6');
    await dialog.locator('#confirm-ok').click();
    await page.waitForFunction(k => document.querySelectorAll('#control-log li').length > k, n);
    results.scaled = (await logItems.first().textContent()).trim();
  }
  const paused = await act('default/notes', 'Pause…');
  if (/not available/.test(paused)) {
    results.control = 'skipped: no route';
  } else {
    const resumed = await act('default/notes', 'Resume…');
    const killed = await act('default/guarded', 'Kill…', 'stopped by the browser test');
    const failed = [paused, resumed, killed].filter(t => (/not available|error|denied|forbidden/i).test(t) || !/done/.test(t));
    if (failed.length) throw new Error('control actions failed: ' + failed.join(' | '));
    results.control = { paused, resumed, killed };
  }
  await shot('control');

  if (pageErrors.length) throw new Error('the page threw: ' + pageErrors.join(' | '));
  console.log(JSON.stringify(results));
} catch (e) {
  // What the page showed when it failed: a screenshot and its text, for the test's message.
  let shown = '';
  try {
    await page.screenshot({ path: join(shots, 'failure.png') });
    shown = (await page.locator('body').innerText()).slice(0, 3000);
  } catch { /* the page itself is gone */ }
  console.log(JSON.stringify({ error: String(e && e.message || e), pageErrors, partial: results, shown }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
