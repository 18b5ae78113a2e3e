/* cli.h - the clonecast command line: shared helpers of the subcommands. */
#ifndef CC_CLI_H
#define CC_CLI_H

#include "error.h"
#include "progress.h"

enum cli_progress_mode { CLI_PROGRESS_AUTO, CLI_PROGRESS_LINE, CLI_PROGRESS_PLAIN, CLI_PROGRESS_NONE };

struct cli_render {
	enum cli_progress_mode mode;
	int line_open;	       /* a \r line is on the terminal */
	uint64_t last_plain_ms; /* plain mode prints every few seconds */
	const char *verb;       /* "saving", "restoring", "checking" */
};

/* Events that render progress on stderr and log warnings there. */
void cli_events_init(struct cc_events *ev, struct cli_render *r, enum cli_progress_mode mode,
		     const char *verb);
/* Ctrl-C, SIGTERM and SIGHUP cancel the running job through the progress
 * callback, so that it cleans up (a partial output file is removed). */
#include <signal.h>
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_signals(void);

/* --progress auto|line|plain|none; -1 (with a message) for anything else. */
int cli_parse_progress(const char *s, enum cli_progress_mode *m);

/* End an open progress line before printing anything else. */
void cli_render_end(struct cli_render *r);

/* "12.3 MB", "1.23 GB" (decimal units, as disks are sold). */
const char *cli_fmt_bytes(uint64_t b, char *buf, size_t len);
const char *cli_fmt_duration(uint64_t ms, char *buf, size_t len);

/* Print "clonecast: <detail>" (and a hint) for a failed engine call. */
int cli_report_error(const struct cc_error *err, int ret);

int cmd_save_part(int argc, char **argv);
int cmd_restore_part(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_savedisk(int argc, char **argv);
int cmd_saveparts(int argc, char **argv);
int cmd_restoredisk(int argc, char **argv);
int cmd_restoreparts(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_check_imgdir(const char *repo_dir, const char *image, enum cli_progress_mode pm);

#endif
