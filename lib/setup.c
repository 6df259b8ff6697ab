// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * libspex setup and teardown: spex_open() picks the backend and sets up
 * the job slots and the io_uring; spex_close() drains and frees it all.
 * The handle-wide queries (backend, info, stats) live here too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libspex_int.h"

static int ring_setup(struct spex *h, unsigned int flags)
{
	struct io_uring_params p = { 0 };

	/* Per job at most: uring_cmd, connect, send, recv, deadline,
	 * cancel, timeout remove. */
	p.flags = flags | IORING_SETUP_CQSIZE;
	p.cq_entries = h->n_slots * 8;
	return io_uring_queue_init_params(h->n_slots * 8, &h->ring, &p);
}

int spex_open(const struct spex_open_opts *opts, struct spex **out)
{
	struct spex_open_opts o = { 0 };
	struct spex *h;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (opts)
		o = *opts;
	for (unsigned int i = 0; i < 5; i++)
		if (o.reserved[i])
			return -EINVAL;
	if (o.backend > SPEX_BACKEND_USER ||
	    (o.flags & ~(SPEX_OPEN_NO_URING | SPEX_OPEN_SCALAR)) ||
	    o.queue_depth > LIB_MAX_DEPTH)
		return -EINVAL;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->dev_fd = -1;
	h->open_flags = o.flags;
	h->depth = o.queue_depth ? o.queue_depth : LIB_DEFAULT_DEPTH;
	h->n_slots = 2 * h->depth;
	h->jobs = calloc(h->n_slots, sizeof(*h->jobs));
	h->cq_cap = h->depth + h->n_slots;
	h->cq = calloc(h->cq_cap, sizeof(*h->cq));
	if (!h->jobs || !h->cq) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (uint32_t i = h->n_slots; i-- > 0;) {
		h->jobs[i].slot = i;
		h->jobs[i].fd = -1;
		h->jobs[i].free_next = h->free_jobs;
		h->free_jobs = &h->jobs[i];
	}

	ret = -ENODEV;
	if (o.backend != SPEX_BACKEND_USER) {
		ret = lib_dev_open(h, o.dev_path ? o.dev_path : SPEX_DEV_PATH);
		if (ret && o.backend == SPEX_BACKEND_DEVICE)
			goto err_free;
	}
	if (ret) {
		ret = lib_user_open(h);
		if (ret)
			goto err_free;
	}

	/* The device's uring_cmd needs 128-byte SQEs; sockets work on any. */
	ret = ring_setup(h, h->use_uring_cmd ? IORING_SETUP_SQE128 : 0);
	if (ret == 0) {
		h->have_ring = true;
	} else if (h->use_uring_cmd) {
		h->use_uring_cmd = false;	/* io_uring off: use the ioctl */
	}
	if (h->have_ring && h->use_uring_cmd &&
	    io_uring_register_files(&h->ring, &h->dev_fd, 1) == 0)
		h->dev_fixed = true;
	*out = h;
	return 0;

err_free:
	free(h->jobs);
	free(h->cq);
	free(h);
	return ret;
}

void spex_close(struct spex *h)
{
	struct lib_tail *t;

	if (!h)
		return;
	/* Let every job finish so no kernel op touches freed memory. */
	while (h->in_flight) {
		struct spex_completion c[16];

		if (spex_reap(h, c, 16, 1, -1) < 0)
			break;
	}
	if (h->have_ring)
		io_uring_queue_exit(&h->ring);
	while ((t = h->tails)) {
		h->tails = t->next;
		for (uint32_t i = 0; i < t->n_idle; i++)
			close(t->idle[i]);
		free(t);
	}
	while (h->models) {
		struct lib_model *m = h->models;

		h->models = m->next;
		if (h->ops->close)	/* frees the engine's model */
			h->ops->close(h, m);
		free(m);
	}
	for (uint32_t i = 0; i < h->n_slots; i++) {
		free(h->jobs[i].own_out);
		free(h->jobs[i].frame);
	}
	if (h->dev_fd >= 0)
		close(h->dev_fd);
	free(h->scratch);
	free(h->jobs);
	free(h->cq);
	free(h);
}

int spex_backend_of(const struct spex *h)
{
	return h ? h->backend : -EINVAL;
}

const char *spex_backend_name(int backend)
{
	switch (backend) {
	case SPEX_BACKEND_AUTO:		return "auto";
	case SPEX_BACKEND_DEVICE:	return "device";
	case SPEX_BACKEND_USER:		return "user";
	default:			return "unknown";
	}
}

int spex_uses_uring_cmd(const struct spex *h)
{
	return h && h->backend == SPEX_BACKEND_DEVICE && h->use_uring_cmd;
}

int spex_get_info(struct spex *h, struct spex_info *info)
{
	if (!h || !info)
		return -EINVAL;
	return h->ops->info(h, info);
}

int spex_get_stats(const struct spex *h, struct spex_handle_stats *st)
{
	if (!h || !st)
		return -EINVAL;
	*st = h->stats;
	return 0;
}
