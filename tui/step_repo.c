/*
 * step_repo.c - where the images are: the kind of repository, the network
 * (for a server), and the server's details.  The connection is tried
 * before moving on; a failure says why and puts the operator back on the
 * field to fix (the password after a wrong password, the server name after
 * "cannot connect" ...).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "error.h"
#include "i18n.h"
#include "run.h"
#include "ui.h"
#include "wizard.h"

int step_repo_kind(struct wiz *w)
{
	char folder[700];
	struct ui_item items[4];
	static const enum wiz_repo_kind kinds[] = {REPO_SSH, REPO_SMB, REPO_LOCAL_PART,
						   REPO_MOUNTED};
	int choice = 0;

	if (w->action == ACT_MCAST_RESTORE)
		return STEP_SKIP; /* the sender has the image */
	snprintf(folder, sizeof(folder), w->demo ? _("The demo folder (%s)") : _("A folder already mounted (%s)"),
		 w->repo_dir);
	items[0] = (struct ui_item){"ssh", _("An SSH server (SFTP)"), 0};
	items[1] = (struct ui_item){"smb", _("A Samba or Windows share"), 0};
	items[2] = (struct ui_item){"local", _("A partition of a local disk (mounted for you)"),
				    w->demo};
	items[3] = (struct ui_item){"folder", folder, 0};
	if (w->demo && !w->repo && w->repo_kind == REPO_MOUNTED)
		choice = 3;
	for (int i = 0; i < 4; i++)
		if (kinds[i] == w->repo_kind)
			choice = i;
	switch (ui_menu(_("Image repository"),
			_("Where are the images kept? A server is reached over the network."),
			items, 4, &choice, 0)) {
	case UI_OK:
		break;
	case UI_BACK:
		return STEP_BACK;
	default:
		return STEP_CANCEL;
	}
	if (kinds[choice] != w->repo_kind)
		wiz_close_repo(w);
	w->repo_kind = kinds[choice];
	return STEP_NEXT;
}

/* ------------------------------------------------------------ network */

static int net_dhcp(struct wiz *w, const char *ifname)
{
	struct cc_net_lease lease;
	struct cc_error err;
	char msg[800];

	snprintf(msg, sizeof(msg), _("Asking for an address on %s (DHCP) ..."), ifname);
	ui_infobox(_("Network"), msg);
	if (cc_net_dhcp(ifname, 20, &lease, &err) < 0) {
		ui_msgbox(_("Network"), err.detail);
		return -1;
	}
	snprintf(w->net_addr, sizeof(w->net_addr), "%s", lease.addr);
	snprintf(w->dhcp_server, sizeof(w->dhcp_server), "%s",
		 lease.next_server[0] ? lease.next_server : lease.server);
	snprintf(msg, sizeof(msg),
		 _("%s has the address %s.\nGateway: %s\nDNS: %s\nDHCP server: %s"), ifname,
		 lease.addr, lease.gateway[0] ? lease.gateway : "-", lease.dns[0] ? lease.dns : "-",
		 lease.server[0] ? lease.server : "-");
	ui_msgbox(_("Network"), msg);
	return 0;
}

static int net_static(struct wiz *w, const char *ifname)
{
	char addr[64] = "", gw[48] = "", dns[48] = "";
	struct ui_field f[] = {
		{_("Address/prefix (192.168.1.20/24)"), addr, sizeof(addr), 0, 0},
		{_("Gateway (may be empty)"), gw, sizeof(gw), 0, 0},
		{_("DNS server (may be empty)"), dns, sizeof(dns), 0, 0},
	};
	int focus = 0;

	for (;;) {
		struct cc_error err;

		if (ui_form(_("Network"), _("Fixed address for this computer."), f, 3, &focus, 0) !=
		    UI_OK)
			return -1;
		if (cc_net_static(ifname, addr, gw, dns, &err) == 0) {
			snprintf(w->net_addr, sizeof(w->net_addr), "%s", addr);
			return 0;
		}
		ui_msgbox(_("Network"), err.detail);
	}
}

int step_network(struct wiz *w)
{
	struct cc_netif *ifs = NULL;
	struct ui_item items[17];
	char labels[17][160];
	unsigned n = 0;
	int choice = 0, nitems = 0, keep = -1;
	struct cc_error err;

	if (w->demo || (w->repo_kind != REPO_SSH && w->repo_kind != REPO_SMB && !wiz_is_mcast(w)))
		return STEP_SKIP; /* the demo never changes the machine's network */
	if (cc_net_list(&ifs, &n, &err) < 0 || !n) {
		free(ifs);
		ui_msgbox(_("Network"), n ? err.detail
					  : _("No network card was found. Use a local repository, "
					      "or check the network card."));
		return STEP_BACK;
	}
	for (unsigned i = 0; i < n && i < 16; i++)
		if (ifs[i].addr[0] && keep < 0) {
			snprintf(labels[nitems], sizeof(labels[0]),
				 _("Keep the current set-up (%s: %s)"), ifs[i].name, ifs[i].addr);
			items[nitems] = (struct ui_item){"", labels[nitems], 0};
			keep = nitems++;
		}
	for (unsigned i = 0; i < n && i < 16; i++) {
		snprintf(labels[nitems], sizeof(labels[0]), "%s  %s  %s", ifs[i].mac,
			 ifs[i].carrier > 0 ? _("link up") : ifs[i].carrier == 0 ? _("no cable")
										 : _("down"),
			 ifs[i].addr);
		items[nitems] = (struct ui_item){ifs[i].name, labels[nitems], 0};
		nitems++;
	}
	for (;;) {
		struct ui_item how[2] = {{"dhcp", _("Automatic (DHCP)"), 0},
					 {"static", _("Fixed address"), 0}};
		int method = 0, idx;

		switch (ui_menu(_("Network"), _("Which network card leads to the server?"), items,
				nitems, &choice, 0)) {
		case UI_OK:
			break;
		case UI_BACK:
			free(ifs);
			return STEP_BACK;
		default:
			free(ifs);
			return STEP_CANCEL;
		}
		if (choice == keep) {
			for (unsigned i = 0; i < n; i++)
				if (ifs[i].addr[0]) {
					snprintf(w->net_addr, sizeof(w->net_addr), "%s", ifs[i].addr);
					break;
				}
			break;
		}
		idx = choice - (keep >= 0);
		snprintf(w->ifname, sizeof(w->ifname), "%s", ifs[idx].name);
		if (ui_menu(_("Network"), _("How does this computer get its address?"), how, 2,
			    &method, 0) != UI_OK)
			continue;
		if ((method == 0 ? net_dhcp(w, w->ifname) : net_static(w, w->ifname)) == 0)
			break;
	}
	free(ifs);
	w->net_done = 1;
	return STEP_NEXT;
}

/* ---------------------------------------------------------- repository */

/* Percent-encode what a URL cannot carry as is (spaces, '@', ';' ...). */
static void url_put(char *out, size_t cap, const char *s, int keep_slash)
{
	size_t o = strlen(out);

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) || (keep_slash && c == '/') || c >= 0x80)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static void app(char *u, size_t cap, const char *s)
{
	size_t o = strlen(u);

	snprintf(u + o, cap - o, "%s", s);
}

static void build_url(struct wiz *w)
{
	char *u = w->repo_url;
	size_t cap = sizeof(w->repo_url);
	int smb = w->repo_kind == REPO_SMB;

	snprintf(u, cap, smb ? "smb://" : "ssh://");
	if (smb && w->domain[0]) {
		url_put(u, cap, w->domain, 0);
		app(u, cap, ";");
	}
	if (w->user[0]) {
		url_put(u, cap, w->user, 0);
		app(u, cap, "@");
	}
	app(u, cap, w->host);
	if (w->port[0] && strcmp(w->port, smb ? "445" : "22"))
		snprintf(u + strlen(u), cap - strlen(u), ":%s", w->port);
	if (smb) {
		app(u, cap, "/");
		url_put(u, cap, w->share, 0);
		if (w->dir[0]) {
			app(u, cap, "/");
			url_put(u, cap, w->dir[0] == '/' ? w->dir + 1 : w->dir, 1);
		}
	} else {
		app(u, cap, w->dir[0] == '/' ? "" : "/~/");
		url_put(u, cap, w->dir, 1);
	}
}

static int ask_password(void *user, const char *prompt, char *buf, size_t len)
{
	struct ui_field f = {prompt, buf, len, 1, 0};
	int focus = 0;

	(void)user;
	buf[0] = '\0';
	return ui_form(_("Password"), prompt, &f, 1, &focus, UI_NO_BACK) == UI_OK ? 0 : -1;
}

static int confirm_host_key(void *user, const char *host, const char *type, const char *fp)
{
	char msg[700];

	(void)user;
	snprintf(msg, sizeof(msg),
		 _("The SSH server %s is not known yet.\n\nIts %s key fingerprint is\n%s\n\n"
		   "Compare it with the server's (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). "
		   "Trust this server and remember its key?"),
		 host, type, fp);
	return ui_yesno(_("New SSH server"), msg, 1) == UI_OK;
}

/* Try the repository; 0 or the error code (message shown). */
static int try_open(struct wiz *w, const char *location)
{
	struct cc_repo_auth a;
	struct cc_error err;
	char msg[800];
	int ret;

	memset(&a, 0, sizeof(a));
	a.password = w->password[0] ? w->password : NULL;
	a.ask_password = ask_password;
	a.confirm_host_key = confirm_host_key;
	a.smb_protocol = w->smb_proto[0] ? w->smb_proto : NULL;
	snprintf(msg, sizeof(msg), _("Connecting to %s ..."), location);
	ui_infobox(_("Image repository"), msg);
	wiz_close_repo(w);
	ret = cc_repo_open_auth(location, &a, &w->repo, &err);
	if (ret < 0)
		ui_msgbox(_("Cannot use this repository"), err.detail);
	return ret;
}

/* Which field to put the operator back on after a failure. */
static int field_for(int ret, int server, int dir, int password)
{
	switch (-ret) {
	case CC_E_AUTH:
		return password;
	case CC_E_NOTFOUND:
	case CC_E_PERM:
		return dir;
	default:
		return server;
	}
}

static int server_form(struct wiz *w)
{
	int smb = w->repo_kind == REPO_SMB, focus = 0, n;
	struct ui_field f[8];

	if (!w->host[0] && w->dhcp_server[0])
		snprintf(w->host, sizeof(w->host), "%s", w->dhcp_server);
	if (!w->port[0] || (smb && !strcmp(w->port, "22")) || (!smb && !strcmp(w->port, "445")))
		snprintf(w->port, sizeof(w->port), smb ? "445" : "22");
	if (!w->dir[0] && !smb)
		snprintf(w->dir, sizeof(w->dir), "/home/partimag");
	if (!w->smb_proto[0])
		snprintf(w->smb_proto, sizeof(w->smb_proto), "auto");
	for (;;) {
		int ret, r;

		n = 0;
		f[n++] = (struct ui_field){_("Server (name or address)"), w->host, sizeof(w->host), 0, 0};
		f[n++] = (struct ui_field){_("Port"), w->port, sizeof(w->port), 0, 0};
		if (smb)
			f[n++] = (struct ui_field){_("Share"), w->share, sizeof(w->share), 0, 0};
		f[n++] = (struct ui_field){smb ? _("Folder in the share (may be empty)")
					       : _("Directory"),
					   w->dir, sizeof(w->dir), 0, 0};
		if (smb)
			f[n++] = (struct ui_field){_("Domain (may be empty)"), w->domain,
						   sizeof(w->domain), 0, 0};
		f[n++] = (struct ui_field){_("User"), w->user, sizeof(w->user), 0, 0};
		f[n++] = (struct ui_field){smb ? _("Password") : _("Password (empty: use a key)"),
					   w->password, sizeof(w->password), 1, 0};
		if (smb)
			f[n++] = (struct ui_field){_("SMB version (auto, 2 or 3)"), w->smb_proto,
						   sizeof(w->smb_proto), 0, 0};
		r = ui_form(smb ? _("Samba server") : _("SSH server"),
			    smb ? _("The share that holds the images (or will).")
				: _("The server and the directory that holds the images (or "
				    "will). The user should not be root."),
			    f, n, &focus, 0);
		if (r == UI_BACK)
			return STEP_BACK;
		if (r != UI_OK)
			return STEP_CANCEL;
		if (!w->host[0] || !w->user[0] || (smb && !w->share[0])) {
			ui_msgbox(_("Image repository"),
				  smb ? _("Server, share and user are needed.")
				      : _("Server and user are needed."));
			focus = !w->host[0] ? 0 : smb && !w->share[0] ? 2 : n - 2 - smb;
			continue;
		}
		build_url(w);
		if ((ret = try_open(w, w->repo_url)) == 0)
			return STEP_NEXT;
		focus = field_for(ret, 0, smb ? 3 : 2, n - 1 - smb);
	}
}

static int folder_form(struct wiz *w)
{
	struct ui_field f = {_("Folder"), w->repo_dir, sizeof(w->repo_dir), 0, 0};
	int focus = 0;

	for (;;) {
		int r = ui_form(_("Image repository"),
				_("The folder that holds the images (or will)."), &f, 1, &focus, 0);

		if (r == UI_BACK)
			return STEP_BACK;
		if (r != UI_OK)
			return STEP_CANCEL;
		snprintf(w->repo_url, sizeof(w->repo_url), "%s", w->repo_dir);
		if (try_open(w, w->repo_url) == 0)
			return STEP_NEXT;
	}
}

/* A partition of a local disk, mounted at /run/clonecast/repo. */
static int local_part(struct wiz *w)
{
	struct ui_item items[64];
	char labels[64][160], paths[64][96];
	int n = 0, choice = 0;

	if (wiz_load_disks(w) < 0)
		return STEP_BACK;
	for (unsigned d = 0; d < w->ndisks; d++)
		for (unsigned p = 0; p < w->disks[d].nparts && n < 64; p++) {
			const struct cc_part_info *pi = &w->disks[d].parts[p];
			char size[32];

			if (!pi->fstype[0] || !strcmp(pi->fstype, "swap"))
				continue;
			ui_fmt_bytes(pi->size, size, sizeof(size));
			snprintf(labels[n], sizeof(labels[0]), "%-6s %9s %s%s", pi->fstype, size,
				 pi->label, pi->mounted ? _(" (mounted)") : "");
			snprintf(paths[n], sizeof(paths[0]), "%s", pi->path);
			items[n] = (struct ui_item){pi->name, labels[n], 0};
			n++;
		}
	if (!n) {
		ui_msgbox(_("Image repository"), _("No partition with a filesystem was found."));
		return STEP_BACK;
	}
	for (;;) {
		const char *argv[8];
		struct cc_error err;
		int r = ui_menu(_("Image repository"),
				_("The partition that holds the images (or will). It is mounted "
				  "at /run/clonecast/repo."),
				items, n, &choice, 0);

		if (r == UI_BACK)
			return STEP_BACK;
		if (r != UI_OK)
			return STEP_CANCEL;
		mkdir("/run/clonecast", 0755);
		mkdir("/run/clonecast/repo", 0755);
		umount2("/run/clonecast/repo", MNT_DETACH); /* an earlier choice */
		argv[0] = "mount";
		argv[1] = paths[choice];
		argv[2] = "/run/clonecast/repo";
		argv[3] = NULL;
		if (cc_run(argv, NULL, 0, NULL, NULL, &err) < 0) {
			ui_msgbox(_("Image repository"), err.detail);
			continue;
		}
		snprintf(w->local_part, sizeof(w->local_part), "%s", paths[choice]);
		snprintf(w->repo_dir, sizeof(w->repo_dir), "/run/clonecast/repo");
		snprintf(w->repo_url, sizeof(w->repo_url), "%s", w->repo_dir);
		if (try_open(w, w->repo_url) == 0)
			return STEP_NEXT;
	}
}

int step_repo_details(struct wiz *w)
{
	if (w->action == ACT_MCAST_RESTORE)
		return STEP_SKIP;
	switch (w->repo_kind) {
	case REPO_SSH:
	case REPO_SMB:
		return server_form(w);
	case REPO_LOCAL_PART:
		return local_part(w);
	case REPO_MOUNTED:
	default:
		return folder_form(w);
	}
}
