/*
 * app.js - the pages' few live parts; every page works without it.
 *  - 檢查重複 through the JSON API, without leaving the form; 提出申請 is
 *    enabled only while the uid in the box is the one that passed (the
 *    server checks again anyway);
 *  - the strength meter (弱/中/強) under password fields, from the server's
 *    own rules (POST /api/v1/password/check);
 *  - the mailbox part of the form hides on 否;
 *  - the primary address follows the uid as it is typed;
 *  - 查看 opens the notice in a dialog with 同意 / 不同意, as in the seed,
 *    so that nothing typed is lost (without script it is its own page).
 */
(function () {
	"use strict";

	var meta = document.querySelector('meta[name="csrf-token"]');
	var csrf = meta ? meta.getAttribute("content") : "";

	function post(path, body) {
		return fetch(path, {
			method: "POST",
			credentials: "same-origin",
			headers: {
				"Content-Type": "application/json",
				"X-CSRF-Token": csrf
			},
			body: JSON.stringify(body)
		}).then(function (r) {
			return r.json();
		});
	}

	function byId(id) {
		return document.getElementById(id);
	}

	/* 檢查重複 */
	var uid = byId("f-uid");
	var check = byId("uid-check");
	var result = byId("uid-result");
	var submit = byId("submit-apply");
	var passed = result && /通過/.test(result.textContent) && uid ? uid.value.toLowerCase() : null;
	var local = byId("primary-local");

	function uidChanged(typing) {
		var v = uid.value.trim().toLowerCase();
		if (local) local.textContent = v;
		if (submit) submit.disabled = v === "" || v !== passed;
		if (typing === true && result && v !== passed) {
			result.textContent = "";
			result.className = "uid-result";
		}
	}

	if (uid && check) {
		uid.addEventListener("input", function () {
			uidChanged(true);
		});
		check.addEventListener("click", function (ev) {
			ev.preventDefault();
			var v = uid.value.trim();
			result.textContent = "檢查中…";
			result.className = "uid-result";
			post("/api/v1/apply/uid-check", { uid: v }).then(function (d) {
				if (d.ok) {
					passed = d.uid;
					uid.value = d.uid;
					result.textContent = "檢查結果：" + d.result;
					result.className = "uid-result ok";
				} else {
					passed = null;
					result.textContent = (d.fields && d.fields.uid) || d.message;
					result.className = "uid-result bad";
				}
				uidChanged();
			}).catch(function () {
				result.textContent = "無法檢查，請稍後再試";
				result.className = "uid-result bad";
			});
		});
	}

	/* 密碼強度判別 */
	Array.prototype.forEach.call(document.querySelectorAll("input[data-meter]"), function (pw) {
		var box = byId("meter-" + pw.getAttribute("data-meter"));
		var uidField = pw.getAttribute("data-uid-field");
		var timer = null;
		if (!box) return;
		var text = box.querySelector(".meter-text");
		function update() {
			var body = { password: pw.value };
			var u = uidField ? byId(uidField) : null;
			if (u && u.value) body.uid = u.value;
			if (pw.value === "") {
				box.className = "meter";
				text.textContent = "";
				return;
			}
			post("/api/v1/password/check", body).then(function (d) {
				if (!d.ok) return;
				box.className = "meter level-" + d.level;
				text.textContent = d.strength + (d.meets_policy ? "" : "（" + d.message.split(" / ")[0] + "）");
			});
		}
		pw.addEventListener("input", function () {
			clearTimeout(timer);
			timer = setTimeout(update, 250);
		});
	});

	/* 是 / 否 */
	var section = document.querySelector(".mail-section");
	var radios = document.querySelectorAll('input[name="want_mail"]');
	function mailToggle() {
		var no = document.querySelector('input[name="want_mail"][value="0"]');
		if (section) section.classList.toggle("hidden", !!(no && no.checked));
	}
	Array.prototype.forEach.call(radios, function (r) {
		r.addEventListener("change", mailToggle);
	});
	mailToggle();

	/* 查看 -> the notice, 同意 / 不同意 */
	function para(parent, text, cls) {
		var p = document.createElement("p");
		p.textContent = text;
		if (cls) p.className = cls;
		parent.appendChild(p);
		return p;
	}

	function agreed(block, doc, d) {
		var control = block.querySelector(".control");
		var title = doc === "privacy"
			? "單一帳號認證平台個人資料蒐集、處理及利用告知聲明"
			: "電子信箱帳號使用管理要點";
		control.textContent = "";
		para(control, "您已於 " + d.consent.agreed_at + " 同意" + title, "agreed");
		block.classList.remove("has-error");
		var err = block.querySelector(".error");
		if (err) err.remove();
	}

	Array.prototype.forEach.call(document.querySelectorAll("button.view"), function (btn) {
		if (typeof HTMLDialogElement === "undefined") return;
		var doc = btn.value === "privacy" ? "privacy" : "mail-rules";
		var block = btn.closest(".consent");
		btn.addEventListener("click", function (ev) {
			ev.preventDefault();
			fetch("/api/v1/consent/" + doc, { credentials: "same-origin" })
				.then(function (r) { return r.json(); })
				.then(function (d) {
					if (!d.ok) return;
					var dlg = document.createElement("dialog");
					dlg.className = "notice-dialog";
					dlg.setAttribute("aria-label", d.title);
					var h = document.createElement("h2");
					h.textContent = d.title;
					dlg.appendChild(h);
					para(dlg, "版本號：" + d.version, "version");
					var body = document.createElement("div");
					body.className = "notice-text";
					d.text.split("\n").forEach(function (line) {
						if (line.trim() !== "") para(body, line);
					});
					dlg.appendChild(body);
					var actions = document.createElement("div");
					actions.className = "actions";
					[["同意", true], ["不同意", false]].forEach(function (a) {
						var b = document.createElement("button");
						b.type = "button";
						b.textContent = a[0];
						if (a[1]) b.className = "primary";
						b.addEventListener("click", function () {
							post("/api/v1/apply/consent", { document: doc, agree: a[1] })
								.then(function (r) {
									if (r.ok && a[1]) agreed(block, doc, r);
									dlg.close();
									dlg.remove();
								});
						});
						actions.appendChild(b);
					});
					dlg.appendChild(actions);
					document.body.appendChild(dlg);
					dlg.showModal();
				});
		});
	});
})();
