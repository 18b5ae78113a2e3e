/*
 * wizard.h - the wizard's state and its screens (tui/step_*.c).
 *
 * wizard.c walks a table of steps; each step shows its screen(s), stores
 * what the operator chose in struct wiz and returns where to go: on, back
 * (to the previous step that was shown), or cancel.  A step that does not
 * apply (network set-up for a local repository) returns STEP_SKIP, and Back
 * passes over it too.
 */
#ifndef CC_WIZARD_H
#define CC_WIZARD_H

#include <pthread.h>
#include <stdint.h>

#include "compress.h"
#include "repo.h"
#include "sysinfo.h"

enum step_result { STEP_NEXT, STEP_BACK, STEP_CANCEL, STEP_SKIP, STEP_RESTART, STEP_QUIT };

enum wiz_action {
	ACT_SAVEDISK,
	ACT_SAVEPARTS,
	ACT_RESTOREDISK,
	ACT_RESTOREPARTS,
	ACT_CHECK,
	ACT_SHELL,
	ACT_REBOOT,
	ACT_POWEROFF,
	ACT_MCAST_RESTORE, /* a client: the disk from a multicast sender */
	ACT_MCAST_SERVE,   /* the server: send an image of the repository */
};

enum wiz_repo_kind { REPO_MOUNTED, REPO_LOCAL_PART, REPO_SSH, REPO_SMB };

struct wiz {
	/* how we run */
	int demo;	      /* --demo: the disks are the demo's files */
	char demo_dir[400];
	int live;	      /* on the live medium: reboot/power off allowed */
	int lang_fixed;	      /* --lang given: the language screen is skipped */
	char lang[8];	      /* "en", "de", "fr", "es" */

	enum wiz_action action;

	/* repository */
	enum wiz_repo_kind repo_kind;
	char repo_dir[512];   /* REPO_MOUNTED: the folder; REPO_LOCAL_PART: mount point */
	char local_part[96];  /* REPO_LOCAL_PART: the partition mounted */
	char host[256], port[8], user[128], dir[512];
	char share[256], domain[128], smb_proto[8]; /* "auto", "2", "3" */
	char password[256];
	char repo_url[1200];  /* what cc_repo_open gets (no password) */
	struct cc_repo *repo; /* open once the repository step succeeded */

	/* network */
	int net_done;	      /* set up (or kept) once */
	char ifname[32];
	char net_addr[64];    /* shown on the summary */
	char dhcp_server[48]; /* offered as the default repository host */

	/* disks and partitions */
	struct cc_disk_info *disks;
	unsigned ndisks;
	int disk;			/* index into disks */
	int part_on[CC_MAX_PARTS_INFO]; /* partition modes: checked */

	/* image */
	char image[256];
	char image_desc[256]; /* restore: "2026-11-25 10:00, 1.2 GB, sda" */

	/* compression (save) */
	enum cc_codec codec;
	int level;	  /* 0: default */
	unsigned threads; /* 0: all cores */
	unsigned split_mb;
	int check_after;

	/* multicast server: start when this many joined (0: by time or key), at
	 * the latest this long after the first client joined (0: no limit) */
	unsigned mc_clients, mc_max_wait;

	/* the result of the last job, for the result screen */
	int job_ret;
	char job_error[600];
	uint64_t job_ms, job_bytes, job_stored;
	char job_report[1200]; /* multicast server: every client and its result */
};

/* Steps (each returns an enum step_result). */
int step_language(struct wiz *w);
int step_action(struct wiz *w);
int step_repo_kind(struct wiz *w);
int step_network(struct wiz *w);
int step_repo_details(struct wiz *w);
int step_disk(struct wiz *w);
int step_image(struct wiz *w);
int step_compression(struct wiz *w);
int step_mcast_options(struct wiz *w); /* step_mcast.c */
int step_summary(struct wiz *w);
int step_progress(struct wiz *w);
int step_mcast_serve(struct wiz *w); /* the server's screens, from step_progress */
int step_result(struct wiz *w);

/* Helpers shared by the steps. */
/* Leave curses for a shell; back to the wizard when it exits. */
void wiz_run_shell(void);
/* Reboot or power off after a yes/no (only on the live medium): a step
 * result to return, or -1 if the operator said No. */
int wiz_leave(struct wiz *w, int poweroff);
int wiz_is_save(const struct wiz *w);
int wiz_is_restore(const struct wiz *w);
int wiz_whole_disk(const struct wiz *w);
int wiz_is_mcast(const struct wiz *w); /* either side of a multicast restore */
/* Apply a language ("en", "de", ...): every later _() uses it. */
void wiz_set_language(const char *ll);
/* The language of the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) if
 * we ship it, else "en". */
const char *wiz_env_language(void);
/* The equivalent command line, for the summary and Info-saved-by-cmd.txt. */
void wiz_command_line(const struct wiz *w, char *buf, size_t len);
/* Append one shell word to buf, quoted when needed. */
void wiz_put_word(char *buf, size_t len, const char *s);
/* Multicast server (step_mcast.c): the rest of its command line after
 * "clonecast", and its lines of the summary. */
void wiz_mcast_serve_command(const struct wiz *w, char *buf, size_t len);
void wiz_mcast_summary(const struct wiz *w, char *buf, size_t len);
/* Load the disks (the machine's, or the demo's files). */
int wiz_load_disks(struct wiz *w);
/* Close the repository (when the operator goes back to change it). */
void wiz_close_repo(struct wiz *w);

/* A job in a thread of its own while a screen shows it (job_loop.c). */
struct wiz_job_loop {
	void *(*run)(void *arg); /* the job; sets *done (under lock) when it ends */
	void *arg;		 /* for run, draw and key */
	pthread_mutex_t *lock;	 /* guards *done and *cancel */
	const int *done;
	int *cancel;		 /* set when the operator confirmed Esc */
	void (*draw)(void *arg); /* the screen, every 200 ms */
	void (*key)(void *arg, int key); /* any other key; may be NULL */
	const char *title;		 /* of the "Stopping ..." box */
	const char *cancel_question;	 /* asked on Esc */
};
/* Run it until the job ends: 0, or -1 when the thread could not start (said). */
int wiz_job_loop(const struct wiz_job_loop *l);

/* `clonecast` with no arguments, --demo, --lang LL. */
int tui_main(int argc, char **argv);

#endif
