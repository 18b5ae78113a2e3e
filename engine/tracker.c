/* tracker.c - progress of a job across partitions; see job.h. */
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "job.h"

void cc_tracker_init(struct cc_tracker *t, const struct cc_events *ev, uint64_t bytes_total)
{
	memset(t, 0, sizeof(*t));
	t->ev = ev;
	cc_meter_init(&t->meter, NULL, NULL);
	t->p.bytes_total = bytes_total;
	t->p.part_index = t->p.part_count = 1;
}

int cc_tracker_report(struct cc_tracker *t, struct cc_error *err)
{
	if (cc_meter_update(&t->meter, t->ev, &t->p))
		return cc_fail(err, CC_E_CANCELED, 0, _("canceled by the operator"));
	return 0;
}

void cc_tracker_done(struct cc_tracker *t)
{
	t->p.phase = CC_PHASE_DONE;
	t->p.final = 1;
	cc_meter_update(&t->meter, t->ev, &t->p);
}
