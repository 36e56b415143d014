// e2e.mjs - the seed's screens in headless Chromium, as a person uses them:
// 申請帳號 (個人資料驗證, 人員資訊, the privacy notice, 檢查重複, password
// with the meter, the mailbox and its rules, 提出申請, the receipt), then the
// IKPD registration (steps 1-3), the activation link read from the mail
// that smtp-sink received, 帳號啟用成功, and the sign-in and account page.
// A screenshot of each step goes to $SHOTS.
//
// Environment (set by test_browser.sh): BASE, SINKDIR, SHOTS, KCGIDM (the
// CLI), KCGIDM_CONF, CHROMIUM (default /usr/bin/chromium), PROFILE (a
// fresh --user-data-dir).
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const base = process.env.BASE;
const shots = process.env.SHOTS;
const sinkdir = process.env.SINKDIR;
const good = "Passw0rd!Good";
let step = 0;
let failures = 0;

mkdirSync(shots, { recursive: true });

function ok(cond, what) {
	step++;
	if (cond) {
		console.log(`ok ${step} - ${what}`);
	} else {
		failures++;
		console.log(`not ok ${step} - ${what}`);
	}
}

function cli(...args) {
	return execFileSync(process.env.KCGIDM, ["-c", process.env.KCGIDM_CONF, ...args], {
		encoding: "utf8",
	});
}

// mailLink - the newest link matching RE in the mails smtp-sink wrote.
function mailLink(re) {
	let found = null;
	const files = readdirSync(sinkdir)
		.map((n) => join(sinkdir, n))
		.filter((p) => statSync(p).isFile())
		.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
	for (const p of files) {
		const raw = readFileSync(p, "latin1");
		const sep = raw.search(/\r?\n\r?\n/);
		const head = raw.slice(0, sep);
		let body = raw.slice(sep).trim();
		if (/^Content-Transfer-Encoding:\s*base64/im.test(head))
			body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
		for (const m of body.matchAll(/https?:\/\/\S+/g)) if (re.test(m[0])) found = m[0];
	}
	return found;
}

async function shot(page, name) {
	await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function text(page) {
	return await page.locator("body").innerText();
}

// A fresh profile (--user-data-dir) through Playwright's persistent context.
const context = await chromium.launchPersistentContext(process.env.PROFILE, {
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	headless: true,
	args: [
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
	],
	locale: "zh-TW",
	viewport: { width: 1100, height: 900 },
});
const page = context.pages()[0] || (await context.newPage());
const consoleErrors = [];
page.on("console", (m) => {
	// HTTP errors the test provokes (400 on a bad ID, the favicon) are
	// not script errors
	if (m.type() === "error" && !m.text().startsWith("Failed to load resource"))
		consoleErrors.push(m.text());
});
page.on("pageerror", (e) => consoleErrors.push(String(e)));

try {
	// --- the sign-in page and 申請帳號 ----------------------------------
	await page.goto(`${base}/`);
	await shot(page, "01-signin");
	ok((await text(page)).includes("一般登入"), "sign-in page: 一般登入 | 自然人憑證 | 動態密碼登入 | 行動自然人憑證");
	await page.click("text=行動自然人憑證");
	ok((await text(page)).includes("本伺服器未啟用"), "行動自然人憑證: not enabled on this server");
	await shot(page, "02-signin-mobile-cert");
	await page.click("nav.links >> text=申請帳號");
	await shot(page, "03-apply-methods");
	ok((await page.locator(".method.disabled").count()) === 2, "自然人憑證 and 行動自然人憑證 shown as not enabled");
	await page.click("text=(個人資料驗證)");

	// --- 個人資料驗證 -------------------------------------------------------
	await page.fill("#f-name", "王小明");
	await page.fill("#f-national_id", "E123456780");
	await page.click("button:has-text('下一步')");
	ok((await page.locator("#err-national_id").innerText()).includes("檢查碼"), "a bad checksum is shown next to the ID");
	ok((await page.inputValue("#f-name")) === "王小明", "the name typed is kept");
	await shot(page, "04-verify-error");
	await page.fill("#f-national_id", "E123456783");
	await page.click("button:has-text('下一步')");
	await page.waitForURL("**/apply/confirm");
	await shot(page, "05-hr-record");
	const hr = await text(page);
	ok(hr.includes("仁武高級中學") && hr.includes("99-12-25") && hr.includes("教師"), "人員資訊: 所屬機關, 職稱, 到職日 99-12-25");
	await page.check("#f-confirm");
	await page.click("button:has-text('下一步')");
	await page.waitForURL("**/apply/form");
	await shot(page, "06-form");
	ok((await text(page)).includes("您尚未查看單一帳號認證平台個人資料蒐集、處理及利用告知聲明"), "您尚未查看 the notice");
	ok(await page.locator("#submit-apply").isDisabled(), "提出申請 is disabled before 檢查重複");

	// --- the privacy notice (查看 -> 同意) -----------------------------------
	await page.click("#privacy button.view");
	const dlg = page.locator("dialog.notice-dialog");
	await dlg.waitFor();
	ok((await dlg.innerText()).includes("版本號：20230307_V1.0"), "the notice opens with 版本號：20230307_V1.0");
	await shot(page, "07-privacy-notice");
	await dlg.locator("button:has-text('同意')").first().click();
	await page.locator("#privacy .agreed").waitFor();
	ok(/您已於 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 同意/.test(await page.locator("#privacy").innerText()), "您已於 … 同意");

	// --- 檢查重複 ----------------------------------------------------------
	await page.fill("#f-uid", "admin");
	await page.click("#uid-check");
	await page.locator("#uid-result.bad").waitFor();
	ok(await page.locator("#submit-apply").isDisabled(), "a reserved uid does not pass");
	await page.fill("#f-uid", "wangxm");
	await page.click("#uid-check");
	await page.locator("#uid-result.ok").waitFor();
	ok((await page.locator("#uid-result").innerText()).includes("通過"), "檢查重複: 通過");
	ok(!(await page.locator("#submit-apply").isDisabled()), "提出申請 is enabled once 通過");
	ok((await page.locator("#primary-mail").innerText()).includes("wangxm@kcg.gov.tw"), "主要電子郵件信箱 wangxm@kcg.gov.tw");

	// --- password and the meter ----------------------------------------------
	await page.locator("#f-password").pressSequentially("Ab1!x", { delay: 20 });
	await page.locator("#meter-password .meter-text").filter({ hasText: "弱" }).waitFor();
	ok(true, "meter: 弱 for a short password");
	await page.locator("#f-password").pressSequentially("yz", { delay: 20 });
	await page.locator("#meter-password .meter-text").filter({ hasText: "中" }).waitFor();
	await page.fill("#f-password", "");
	await page.locator("#f-password").pressSequentially(good, { delay: 20 });
	await page.locator("#meter-password .meter-text").filter({ hasText: "強" }).waitFor();
	ok(true, "meter: 中, then 強 for 13 characters");
	await page.fill("#f-password_confirm", good);
	await shot(page, "08-uid-passed-meter");

	// --- the mailbox --------------------------------------------------------
	await page.check('input[name="want_mail"][value="1"]');
	await page.click("#mail_rules button.view");
	await dlg.waitFor();
	ok((await dlg.innerText()).includes("300MB"), "電子信箱帳號使用管理要點 (300MB)");
	await shot(page, "09-mail-rules");
	await dlg.locator("button:has-text('同意')").first().click();
	await page.locator("#mail_rules .agreed").waitFor();
	ok((await page.locator("#mail_rules").innerText()).includes("同意電子信箱帳號使用管理要點"), "您已於 … 同意電子信箱帳號使用管理要點");
	await page.fill("#f-recovery_mail", "wang@example.com");
	await shot(page, "10-form-complete");
	await page.click("#submit-apply");
	await page.waitForURL("**/apply/receipt");
	await shot(page, "11-receipt");
	const receipt = await text(page);
	ok(receipt.includes("帳號申請單(已通過); 驗證方式：個人資料驗證") && receipt.includes("wangxm@kcg.gov.tw"), "帳號申請單(已通過); 驗證方式：個人資料驗證, 公務電子郵件");
	ok(receipt.includes("1~4小時"), "the 1~4 hour review notice");

	// --- review (an admin), then IKPD ----------------------------------------
	cli("approve", "wangxm");
	await page.goto(`${base}/ikpd/register`);
	await shot(page, "12-ikpd-register");
	await page.click("text=註冊一般人員帳號");
	await page.fill("#f-mail", "wangxm");
	await page.fill("#f-national_id", "E123456783");
	await page.fill("#f-birth_date", "068-05-12");
	await shot(page, "13-ikpd-step1");
	await page.click("button:has-text('進行註冊')");
	await page.waitForURL("**/ikpd/register/step2");
	ok((await text(page)).includes("一般人員帳號註冊_步驟二"), "一般人員帳號註冊_步驟二：設定密碼");
	ok((await text(page)).includes("王小明 您好"), "步驟二 greets the person by name: 王小明 您好");
	await page.fill("#f-password", good);
	await page.fill("#f-password_confirm", good);
	await shot(page, "14-ikpd-step2");
	await page.click("button:has-text('進行註冊')");
	await page.waitForURL("**/ikpd/register/done");
	await shot(page, "15-ikpd-done");
	ok((await text(page)).includes("王小明 您好"), "完成註冊: 王小明 您好");

	// --- the mail and the activation link ------------------------------------
	cli("mail", "flush");
	const link = mailLink(/\/ikpd\/activate\?token=/);
	ok(link !== null && link.startsWith(`${base}/ikpd/activate?token=`), "the activation mail carries <base_url>/ikpd/activate?token=");
	await page.goto(link);
	await shot(page, "16-activate");
	await page.fill("#f-password", good);
	await page.click("button:has-text('帳號啟用')");
	await page.locator("text=帳號啟用成功, 請重新登入").waitFor();
	await shot(page, "17-activated");
	ok(true, "帳號啟用成功, 請重新登入");

	// --- sign-in and the account page -----------------------------------------
	await page.click("text=確定");
	await page.fill("#f-uid", "wangxm");
	await page.fill("#f-password", good);
	await shot(page, "18-signin-filled");
	await page.click("button:has-text('登入')");
	await page.waitForURL("**/account");
	await shot(page, "19-account");
	const acct = await text(page);
	ok(acct.includes("帳密") && acct.includes("王小明") && acct.includes("一般人員"), "帳戶資訊: 姓名, 帳號類型, 登入方式: 帳密");
	await page.fill("#f-old_password", good);
	await page.fill("#password #f-password", "");
	await page.locator("#password #f-password").pressSequentially("N3w!Passw0rd", { delay: 10 });
	await page.locator("#meter-password .meter-text").filter({ hasText: "強" }).waitFor();
	await page.fill("#f-password_confirm", "N3w!Passw0rd");
	await page.click("button:has-text('變更密碼')");
	await page.locator(".flash").waitFor();
	ok((await page.locator(".flash").innerText()).includes("密碼已變更"), "密碼已變更 on the account page");
	await shot(page, "20-password-changed");
	ok(consoleErrors.length === 0, `no script errors in the console${consoleErrors.length ? ": " + consoleErrors.join("; ") : ""}`);
} catch (e) {
	failures++;
	console.log(`not ok ${++step} - ${e.message.split("\n")[0]}`);
	await shot(page, "zz-failure").catch(() => {});
} finally {
	await context.close();
}
console.log(`1..${step}`);
process.exit(failures ? 1 : 0);
