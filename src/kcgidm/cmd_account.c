/*
 * cmd_account - the seed's application flow from the command line:
 * verify, uid check, apply, approve, show, consent show.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "cert.h"
#include "cli.h"
#include "config.h"
#include "dir.h"
#include "err.h"
#include "kcg.h"
#include "out.h"
#include "pwquality.h"
#include "rocdate.h"
#include "roster.h"
#include "secret.h"
#include "vmethod.h"
#include "xalloc.h"

/* print_hr - the seed's 人員資訊 table. */
static void print_hr(const struct account_hr *hr)
{
	out_text("人員資訊");
	out_str("category", "類別", hr->category);
	out_str("name", "姓名", hr->name);
	out_str("agency", "所屬機關", hr->agency);
	out_str("unit", "所屬單位", hr->unit);
	out_str("title", "職稱", hr->title);
	out_str("hire_date", "到職日", hr->hire_date);
	out_str("account_type", "帳號類型",
		out_is_json() ? hr->account_type
			      : roster_account_type_label(hr->account_type));
}

/*
 * cert_verify - 自然人憑證驗證 with the certificate chain in FILE (PEM, leaf
 * first) and the typed national ID: the chain against cert.ca_file and
 * cert.crl_file (and cert.ocsp_url when set), then the roster. Returns 0 with
 * *hr_r, or the exit status (reported).
 */
static int cert_verify(struct cli *cli, const char *file, const char *id,
		       struct account_hr **hr_r)
{
	struct vmethod_ctx ctx = {cli->dir, cli->ih, NULL};
	struct vmethod_input in;
	struct cert_trust *trust = NULL;
	const char *err = NULL;
	char *pem = NULL;
	size_t len = 0;
	int r;

	memset(&in, 0, sizeof(in));
	if (cli->cfg->cert_ca_file == NULL) {
		r = out_error(KCG_EPOLICY,
			      "本伺服器未啟用自然人憑證驗證 (cert.ca_file) / "
			      "citizen certificates are not configured");
		goto out;
	}
	r = cert_trust_open(cli->cfg->cert_ca_file, cli->cfg->cert_crl_file,
			    &trust, &err);
	if (r == 0)
		r = cert_trust_set_ocsp(trust, cli->cfg->cert_ocsp_url,
					cli->cfg->cert_ocsp_timeout, &err);
	if (r == 0)
		r = secret_read_file(file, 0, &pem, &len, &err);
	if (r < 0) {
		r = out_error(r, err);
		goto out;
	}
	ctx.trust = trust;
	in.national_id = id;
	in.cert_pem = pem;
	in.cert_pem_len = len;
	r = vmethod_verify(vmethod_find(VMETHOD_CITIZEN_CERT), &ctx, &in, hr_r,
			   &err);
	if (r < 0)
		r = out_error(r, err);
out:
	free(pem);
	cert_trust_free(&trust);
	return r;
}

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"national-id", required_argument, NULL, 'i'},
		{"national-id-file", required_argument, NULL, 'I'},
		{"cert", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] = "usage: verify --name NAME|--cert FILE.pem "
				    "--national-id ID|--national-id-file FILE";
	const char *name = NULL, *id = NULL, *cert = NULL, *err = NULL;
	struct account_hr *hr = NULL;
	int c, r, status;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'i' || c == 'I') {
			if ((status = cli_hidden(cli, c == 'i' ? optarg : NULL,
						 optarg, &id)) != 0)
				return status;
		} else if (c == 'c')
			cert = optarg;
		else
			return cli_usage("%s", usage);
	}
	if ((name == NULL) == (cert == NULL) || id == NULL || optind != argc)
		return cli_usage("%s", usage);
	if ((status = cli_dir(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		return status;
	if (cert != NULL) {
		if ((status = cert_verify(cli, cert, id, &hr)) != 0)
			return status;
	} else {
		r = account_verify(cli->dir, cli->ih, name, id, &hr, &err);
		if (r < 0)
			return out_error(r, err);
	}
	print_hr(hr);
	out_text("以上資料均正確，我要申請帳號 (kcgidm apply ...)");
	account_hr_free(&hr);
	return 0;
}

int cmd_uid(struct cli *cli, int argc, char **argv)
{
	char uid[UIDNAME_MAX + 1];
	const char *err = NULL;
	int r, status;

	if (argc != 3 || strcmp(argv[1], "check") != 0)
		return cli_usage("usage: uid check UID");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = account_uid_check(cli->dir, cli->cfg, argv[2], uid, &err);
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "帳號", uid);
	out_str("result", "檢查結果", ACCOUNT_MSG_UID_OK);
	return 0;
}

/* print_receipt - the seed's 帳號申請單. */
static void print_receipt(const struct account_receipt *rc)
{
	const char *method = vmethod_label(rc->method);

	out_text("帳號申請單(已通過); 驗證方式：%s", method);
	out_str("form", "申請單類別", "帳號申請單");
	out_str("verification", "驗證方式", method);
	out_str("uid", "帳號", rc->uid);
	out_str("mail", "公務電子郵件", rc->mail);
	out_str("recovery_mail", "密碼復原用電子郵件", rc->recovery_mail);
	out_str("status", "狀態 / status",
		out_is_json() || strcmp(rc->status, "pending") != 0
			? rc->status
			: "pending (待審核)");
	out_str("privacy_version", "個人資料告知聲明版本", rc->privacy_version);
	out_time("privacy_time", "同意時間", rc->privacy_time);
	out_str("mail_rules_version", "電子信箱帳號使用管理要點版本",
		rc->mail_rules_version);
	out_time("mail_rules_time", "同意時間", rc->mail_rules_time);
	print_hr(rc->hr);
	out_text("帳號申請單已經成功提交。");
	out_text("提醒您：申請成功後，需等待審核您是否為市府員工，請1~4小時後"
		 "或隔天再登入。");
}

int cmd_apply(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"national-id", required_argument, NULL, 'i'},
		{"national-id-file", required_argument, NULL, 'I'},
		{"uid", required_argument, NULL, 'u'},
		{"accept-privacy", required_argument, NULL, 'p'},
		{"mail", no_argument, NULL, 'm'},
		{"accept-mail-rules", required_argument, NULL, 'r'},
		{"recovery-mail", required_argument, NULL, 'e'},
		{"password-file", required_argument, NULL, 'f'},
		{"batch", required_argument, NULL, 'B'},
		{"approve", no_argument, NULL, 'A'},
		{"jobs", required_argument, NULL, 'j'},
		{"cert", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] =
		"usage: apply --name NAME|--cert FILE.pem --national-id "
		"ID|--national-id-file FILE --uid UID "
		"--accept-privacy VERSION [--mail --accept-mail-rules VERSION "
		"--recovery-mail ADDR] [--password-file FILE]\n"
		"       apply --batch FILE.csv --accept-privacy VERSION "
		"[--accept-mail-rules VERSION] [--approve] [--jobs N]";
	struct batch_args ba = {.jobs = 2 * CLI_JOBS_DEFAULT};
	struct account_apply_req req;
	struct account_receipt *rc = NULL;
	const char *pwfile = NULL, *err = NULL, *cert = NULL;
	struct account_hr *hr = NULL;
	char *password = NULL;
	int c, r, status;

	memset(&req, 0, sizeof(req));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			req.name = optarg;
			break;
		case 'i':
		case 'I':
			if ((status = cli_hidden(cli, c == 'i' ? optarg : NULL,
						 optarg, &req.national_id)) !=
			    0)
				return status;
			break;
		case 'u':
			req.uid = optarg;
			break;
		case 'p':
			req.privacy_version = optarg;
			break;
		case 'm':
			req.want_mail = 1;
			break;
		case 'r':
			req.mail_rules_version = optarg;
			break;
		case 'e':
			req.recovery_mail = optarg;
			break;
		case 'f':
			pwfile = optarg;
			break;
		case 'B':
			ba.path = optarg;
			break;
		case 'A':
			ba.approve = 1;
			break;
		case 'j':
			if ((status = cli_number("--jobs", optarg, 1,
						 CLI_JOBS_MAX, &ba.jobs)) != 0)
				return status;
			break;
		case 'c':
			cert = optarg;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (ba.path != NULL) {
		if (req.name != NULL || req.national_id != NULL ||
		    req.uid != NULL || req.want_mail ||
		    req.recovery_mail != NULL || pwfile != NULL ||
		    cert != NULL || optind != argc)
			return cli_usage("--batch takes the people from the "
					 "file; %s",
					 usage);
		if (req.privacy_version == NULL)
			return cli_usage("--batch needs --accept-privacy "
					 "VERSION");
		ba.privacy_version = req.privacy_version;
		ba.mail_rules_version = req.mail_rules_version;
		return cmd_apply_batch(cli, &ba);
	}
	if (ba.approve)
		return cli_usage("--approve goes with --batch (else: kcgidm "
				 "approve UID)");
	if ((req.name == NULL) == (cert == NULL) || req.national_id == NULL ||
	    req.uid == NULL || optind != argc)
		return cli_usage("%s", usage);
	if (req.privacy_version == NULL)
		return out_error(
			KCG_EINVAL,
			"須查看並同意個人資料告知聲明 (--accept-privacy "
			"VERSION; kcgidm consent show privacy) / you "
			"must agree to the privacy notice");
	if (!req.want_mail && (req.mail_rules_version != NULL))
		return cli_usage("--accept-mail-rules goes with --mail");
	if ((status = cli_dir(cli)) != 0 || (status = cli_idhash(cli)) != 0)
		return status;
	if (cert != NULL) {
		/* the roster's name, as the certificate's name matched it */
		if ((status = cert_verify(cli, cert, req.national_id, &hr)) !=
		    0)
			return status;
		req.name = hr->name;
		req.method = VMETHOD_CITIZEN_CERT;
	}
	r = secret_read_password(pwfile, "密碼 / password: ",
				 "密碼確認 / password again: ", &password,
				 &err);
	if (r < 0) {
		account_hr_free(&hr);
		return out_error(r, err);
	}
	req.password = password;
	out_str("strength", "密碼強度 / strength",
		pwquality_strength_label(
			pwquality_strength(password, strlen(password))));
	r = account_apply(cli->dir, cli->cfg, cli->ih, &req, &rc, &err);
	xfree_secret(&password);
	if (r < 0) {
		account_hr_free(&hr);
		return out_error(r, err);
	}
	print_receipt(rc);
	account_receipt_free(&rc);
	account_hr_free(&hr);
	return 0;
}

int cmd_approve(struct cli *cli, int argc, char **argv)
{
	const char *err = NULL;
	int r, status;

	if (argc != 2)
		return cli_usage("usage: approve UID");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = account_approve(cli->dir, argv[1], &err);
	if (r < 0)
		return out_error(r, err);
	out_str("uid", "帳號", argv[1]);
	out_str("status", "狀態 / status", "active");
	return 0;
}

/* Labels for `show`, in the order printed. */
static const struct {
	const char *attr, *label;
} show_labels[] = {
	{"uid", "帳號 / uid"},
	{"cn", "姓名 / name"},
	{"kcgAccountStatus", "狀態 / status"},
	{"kcgStatusReason", "狀態原因 / reason"},
	{"kcgVerificationMethod", "驗證方式 / verification"},
	{"kcgCategory", "類別 / category"},
	{"kcgAgency", "所屬機關 / agency"},
	{"kcgUnit", "所屬單位 / unit"},
	{"title", "職稱 / title"},
	{"kcgAccountType", "帳號類型 / account type"},
	{"kcgMailEnabled", "信箱 / mailbox"},
	{"kcgMail", "公務電子郵件 / mail"},
	{"kcgMailQuota", "信箱容量 / quota (bytes)"},
	{"kcgRecoveryMail", "密碼復原用電子郵件 / recovery mail"},
	{"kcgPrivacyConsentVersion", "告知聲明版本 / privacy version"},
	{"kcgPrivacyConsentTime", "告知聲明同意時間 / privacy agreed"},
	{"kcgMailRulesConsentVersion", "信箱要點版本 / mail rules version"},
	{"kcgMailRulesConsentTime", "信箱要點同意時間 / mail rules agreed"},
	{"kcgIkpdStatus", "IKPD 狀態 / IKPD status"},
	{"kcgIkpdAccountType", "IKPD 帳號類型 / IKPD account type"},
	{"kcgApplyTime", "申請時間 / applied"},
	{"kcgApproveTime", "審核時間 / approved"},
	{"createTimestamp", "建立時間 / created"},
	{"modifyTimestamp", "修改時間 / modified"},
	{"pwdChangedTime", "密碼變更時間 / password changed"},
	{"pwdLastSuccess", "最近登入 / last login"},
	{"pwdAccountLockedTime", "鎖定時間 / locked since"},
};

/* show_value - one attribute, times and codes made readable in text. */
static void show_value(const char *attr, const char *label, const char *v)
{
	if (v != NULL && strlen(v) == 15 && v[14] == 'Z') {
		out_time(attr, label, v);
		return;
	}
	if (v != NULL && !out_is_json()) {
		if (strcmp(attr, "kcgAccountType") == 0 ||
		    strcmp(attr, "kcgIkpdAccountType") == 0)
			v = roster_account_type_label(v);
		else if (strcmp(attr, "kcgVerificationMethod") == 0)
			v = vmethod_label(v);
		else if (strcmp(attr, "kcgMailEnabled") == 0)
			v = strcmp(v, "TRUE") == 0 ? "是 / yes" : "否 / no";
	}
	out_str(attr, label, v);
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	struct dir_entry *e = NULL;
	const char *err = NULL;
	char *masked = NULL;
	size_t i;
	int r, status;

	if (argc != 2)
		return cli_usage("usage: show UID");
	if ((status = cli_dir(cli)) != 0)
		return status;
	r = account_show(cli->dir, argv[1], &e, &masked, &err);
	if (r < 0)
		return out_error(r, err);
	out_str("dn", "DN", dir_entry_dn(e));
	for (i = 0; i < KCG_N_ELEMENTS(show_labels); i++)
		show_value(show_labels[i].attr, show_labels[i].label,
			   dir_entry_value(e, show_labels[i].attr));
	out_int("pwdFailureCount", "登入失敗次數 / failed logins",
		(long long)dir_entry_count(e, "pwdFailureTime"));
	out_str("nationalIdMasked", "身分證字號 / national ID",
		masked[0] ? masked : NULL);
	free(masked);
	dir_entry_free(&e);
	return 0;
}

/* A notice is a page or two of text: anything bigger is a wrong path. */
#define NOTICE_MAX (1024 * 1024)

/* open_notice - FILE opened for reading when it is a regular file (not a
 * device, FIFO or folder, which would block, never end or read as an
 * empty notice that an applicant then "agrees" to). Returns 0 with the
 * stream in *fp_r, or the exit status after reporting the error. */
static int open_notice(const char *file, FILE **fp_r)
{
	struct stat st;
	int fd;

	memset(&st, 0, sizeof(st));
	fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return out_error(KCG_EINTERNAL,
				 err_fmt("%s: %s", file, strerror(errno)));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return out_error(
			KCG_EINTERNAL,
			err_fmt("%s: 不是一般檔案 / not a regular "
				"file%s",
				file,
				S_ISDIR(st.st_mode) ? " (a directory)" : ""));
	}
	if (st.st_size > NOTICE_MAX) {
		close(fd);
		return out_error(KCG_EINTERNAL,
				 err_fmt("%s: 超過 %d 位元組 / larger than %d "
					 "bytes",
					 file, NOTICE_MAX, NOTICE_MAX));
	}
	*fp_r = fdopen(fd, "r");
	if (*fp_r == NULL) {
		close(fd);
		return out_error(KCG_EINTERNAL,
				 err_fmt("%s: %s", file, strerror(errno)));
	}
	return 0;
}

int cmd_consent(struct cli *cli, int argc, char **argv)
{
	const char *file, *version, *title;
	char buf[4096];
	FILE *fp = NULL;
	size_t n;
	int status;
	json_t *text = NULL;
	char *all = NULL;
	size_t len = 0;

	if (argc != 3 || strcmp(argv[1], "show") != 0 ||
	    (strcmp(argv[2], "privacy") != 0 &&
	     strcmp(argv[2], "mail-rules") != 0))
		return cli_usage("usage: consent show privacy|mail-rules");
	if ((status = cli_config(cli)) != 0)
		return status;
	if (strcmp(argv[2], "privacy") == 0) {
		file = cli->cfg->privacy_text_file;
		version = cli->cfg->privacy_version;
		title = "單一登入平臺個人資料蒐集、處理及利用告知聲明";
	} else {
		file = cli->cfg->mail_rules_text_file;
		version = cli->cfg->mail_rules_version;
		title = "電子信箱帳號使用管理要點";
	}
	if ((status = open_notice(file, &fp)) != 0)
		return status;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (len + n > NOTICE_MAX) {
			fclose(fp);
			free(all);
			return out_error(KCG_EINTERNAL,
					 err_fmt("%s: 超過 %d 位元組 / larger "
						 "than %d bytes",
						 file, NOTICE_MAX, NOTICE_MAX));
		}
		all = xrealloc(all, len + n + 1);
		memcpy(all + len, buf, n);
		len += n;
	}
	if (ferror(fp)) {
		fclose(fp);
		free(all);
		return out_error(KCG_EINTERNAL,
				 err_fmt("%s: 讀取錯誤 / read error", file));
	}
	fclose(fp);
	out_str("title", "標題", title);
	out_str("version", "版本號", version);
	if (out_is_json()) {
		text = json_stringn(all ? all : "", len);
		if (text == NULL) {
			free(all);
			return out_error(
				KCG_EINTERNAL,
				err_fmt("%s: 不是 UTF-8 / not UTF-8", file));
		}
		json_object_set_new(out_json(), "text", text);
	} else {
		putchar('\n');
		fwrite(all ? all : "", 1, len, stdout);
	}
	free(all);
	return 0;
}
