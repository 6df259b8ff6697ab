// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * libspex submission and completion: job slots, spex_submit(), the
 * completion FIFO and the reap loop that drives every CQE (spex_reap(),
 * spex_infer()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libspex_int.h"

uint64_t lib_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct io_uring_sqe *lib_get_sqe(struct spex *h)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&h->ring);

	if (!sqe) {
		io_uring_submit(&h->ring);
		sqe = io_uring_get_sqe(&h->ring);
	}
	return sqe;	/* the SQ holds 8 per slot: never NULL after a flush */
}

uint64_t lib_op_data(const struct lib_job *j, enum lib_op_kind kind)
{
	return (uint64_t)kind << 56 | (uint64_t)(j->gen & 0xffffff) << 32 |
	       j->slot;
}

/* ---- completions ---------------------------------------------------- */

void lib_job_maybe_free(struct spex *h, struct lib_job *j)
{
	if (j->state == JOB_FREE || !j->completed || j->pending_ops)
		return;
	j->state = JOB_FREE;
	j->gen++;
	j->model = NULL;
	j->tail = NULL;
	j->free_next = h->free_jobs;
	h->free_jobs = j;
}

/* Post the job's one completion. */
void lib_job_complete(struct spex *h, struct lib_job *j, int32_t res,
		      uint32_t origin)
{
	struct spex_completion *c;

	if (j->completed)
		return;
	j->completed = true;
	j->state = JOB_DRAIN;
	if (j->in_net) {
		j->in_net = false;
		h->in_net--;
	}
	if (j == h->sync_job) {
		c = &h->sync_c;
		h->sync_done = true;
	} else {
		c = &h->cq[(h->cq_head + h->cq_count++) % h->cq_cap];
	}
	memset(c, 0, sizeof(*c));
	c->user_data = j->req.user_data;
	c->res = res;
	c->origin = res < 0 ? SPEX_ORIGIN_ERROR : origin;
	if (res >= 0) {
		c->result = j->result;
		if (origin == SPEX_ORIGIN_FALLBACK) {
			c->result.flags |= SPEX_RF_FALLBACK;
			c->tail_err = j->net_err ? j->net_err : -EIO;
			h->stats.fallbacks++;
		} else if (origin == SPEX_ORIGIN_TAIL) {
			c->result.class_id = le32toh(j->resp.class_id);
			c->result.confidence_q16 =
				le32toh(j->resp.confidence_q16);
			c->tail_ns = (uint32_t)le64toh(j->resp.ns);
			h->stats.tail_ok++;
		}
	} else {
		h->stats.errors++;
	}
	h->stats.completed++;
	lib_job_maybe_free(h, j);
}

/* The head finished: ret is 0, or -errno with nothing computed. */
void lib_head_done(struct spex *h, struct lib_job *j, int ret)
{
	if (ret < 0) {
		lib_job_complete(h, j, ret, SPEX_ORIGIN_ERROR);
		return;
	}
	switch (j->result.decision) {
	case SPEX_DECISION_EXIT:
		h->stats.exits++;
		if (j->tail && !j->tail->retired)
			lib_offload_note_exit(j);
		break;
	case SPEX_DECISION_FINAL:
		h->stats.finals++;
		break;
	default:
		h->stats.offloads++;
		/* (a model unloaded meanwhile has no tail left) */
		if (j->tail && j->model && !j->tail->retired &&
		    !(j->req.flags & SPEX_REQ_NO_OFFLOAD)) {
			lib_offload_decide(h, j);
			return;
		}
		lib_job_complete(h, j, 0, SPEX_ORIGIN_BOTTLENECK);
		return;
	}
	lib_job_complete(h, j, 0, SPEX_ORIGIN_LOCAL);
}

/* ---- submission ------------------------------------------------------ */

static int job_prepare(struct spex *h, struct lib_job *j,
		       const struct spex_req *r)
{
	struct lib_model *m;
	int ret;

	if (!r->input || (r->output_len && !r->output) ||
	    (r->flags & ~(SPEX_REQ_SCALAR | SPEX_REQ_NO_OFFLOAD |
			  SPEX_REQ_BOTTLENECK)))
		return -EINVAL;
	ret = h->ops->lookup(h, r->model_id, &m);
	if (ret)
		return ret;
	j->model = m;
	j->tail = m->tail;
	if (r->flags & SPEX_REQ_BOTTLENECK) {
		/* the head ran elsewhere: its bottleneck is the payload */
		if (r->flags & SPEX_REQ_NO_OFFLOAD || !r->input_len ||
		    r->input_len > SPEX_WIRE_MAX_PAYLOAD)
			return -EINVAL;
		if (m->role != SPX_ROLE_HEAD || !m->tail || m->tail->retired)
			return -EDESTADDRREQ;
		j->out = (void *)r->input;
		j->req.output_len = r->input_len;
		j->result.decision = SPEX_DECISION_OFFLOAD;
		j->result.exit_index = SPEX_NO_EXIT;
		j->result.bottleneck_len = r->input_len;
		return 0;
	}
	if (r->output) {
		j->out = r->output;
	} else {
		if (j->own_cap < m->output_bytes) {
			void *nb = realloc(j->own_out, m->output_bytes);

			if (!nb)
				return -ENOMEM;
			j->own_out = nb;
			j->own_cap = m->output_bytes;
		}
		j->out = j->own_out;
		j->req.output_len = m->output_bytes;
	}
	return 0;
}

int spex_submit(struct spex *h, const struct spex_req *reqs, unsigned int n)
{
	unsigned int i;
	int ret;

	if (!h || (n && !reqs))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		struct lib_job *j;

		/* jobs waiting on a tail leave room: local exits never queue
		 * behind offloads (up to n_slots of them) */
		if (h->in_flight - h->in_net >= h->depth || !h->free_jobs)
			break;
		j = h->free_jobs;
		h->free_jobs = j->free_next;
		j->state = JOB_ENGINE;
		j->completed = false;
		j->deadline_armed = j->deadline_fired = false;
		j->conn_reused = j->retried = false;
		j->in_net = j->probe = j->net_open = false;
		j->t_submit = lib_now_ns();
		j->net_err = 0;
		j->pending_ops = j->net_ops = 0;
		j->fd = -1;
		j->req = reqs[i];
		memset(&j->result, 0, sizeof(j->result));
		h->in_flight++;
		h->stats.submitted++;
		ret = job_prepare(h, j, &reqs[i]);
		if (ret) {
			lib_job_complete(h, j, ret, SPEX_ORIGIN_ERROR);
			continue;
		}
		if (reqs[i].flags & SPEX_REQ_BOTTLENECK)
			lib_head_done(h, j, 0);
		else
			h->ops->start(h, j);
	}
	if (h->have_ring && io_uring_sq_ready(&h->ring))
		io_uring_submit(&h->ring);
	if (i == 0 && n)
		return -EBUSY;
	return (int)i;
}

/* ---- reaping ---------------------------------------------------------- */

static void handle_cqe(struct spex *h, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	enum lib_op_kind kind = (enum lib_op_kind)(ud >> 56);
	uint32_t slot = (uint32_t)ud;
	struct lib_job *j;

	if (slot >= h->n_slots || kind < OP_DEV || kind > OP_IGNORE)
		return;		/* not ours: nothing else uses the ring */
	j = &h->jobs[slot];
	if (!j->pending_ops)
		return;
	j->pending_ops--;
	if (kind == OP_DEV)
		lib_head_done(h, j, cqe->res < 0 ? cqe->res : 0);
	else if (kind != OP_IGNORE) {
		lib_offload_cqe(h, j, kind, cqe->res);
	}
	lib_job_maybe_free(h, j);
}

static unsigned int drain_cqes(struct spex *h)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&h->ring, head, cqe) {
		handle_cqe(h, cqe);
		n++;
	}
	io_uring_cq_advance(&h->ring, n);
	return n;
}

static unsigned int pop_completions(struct spex *h, struct spex_completion *out,
				    unsigned int max)
{
	unsigned int n = 0;

	while (n < max && h->cq_count) {
		out[n++] = h->cq[h->cq_head];
		h->cq_head = (h->cq_head + 1) % h->cq_cap;
		h->cq_count--;
		h->in_flight--;
	}
	return n;
}

int spex_reap(struct spex *h, struct spex_completion *out, unsigned int max,
	      unsigned int min_complete, int timeout_ms)
{
	uint64_t deadline = 0;
	unsigned int got = 0;

	if (!h || (max && !out))
		return -EINVAL;
	if (min_complete > max)
		min_complete = max;
	if (timeout_ms > 0)
		deadline = lib_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		struct __kernel_timespec ts, *tsp = NULL;
		struct io_uring_cqe *cqe;
		int ret;

		if (h->have_ring)
			drain_cqes(h);
		got += pop_completions(h, out + got, max - got);
		/* Nothing left that could complete: never wait for it. */
		if (got >= min_complete || got == max || timeout_ms == 0 ||
		    h->in_flight == 0)
			break;
		if (!h->have_ring)
			break;	/* every job completes inline without one */
		if (timeout_ms > 0) {
			uint64_t now = lib_now_ns(), left;

			if (now >= deadline)
				break;
			left = deadline - now;
			ts.tv_sec = (long long)(left / 1000000000ull);
			ts.tv_nsec = (long long)(left % 1000000000ull);
			tsp = &ts;
		}
		ret = io_uring_submit_and_wait_timeout(&h->ring, &cqe, 1, tsp,
						       NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR &&
		    ret != -EAGAIN && ret != -EBUSY)
			return got ? (int)got : ret;
	}
	return (int)got;
}

unsigned int spex_in_flight(const struct spex *h)
{
	return h ? h->in_flight : 0;
}

int spex_infer(struct spex *h, const struct spex_req *req,
	       struct spex_completion *c)
{
	struct lib_job *j;
	int ret;

	if (!h || !req || h->sync_job)
		return -EINVAL;
	/* Completions of other jobs stay in the FIFO for spex_reap(); this
	 * one, which may complete inside spex_submit(), goes to sync_c. */
	j = h->free_jobs;
	h->sync_job = j;
	ret = spex_submit(h, req, 1);
	if (ret < 0) {
		h->sync_job = NULL;
		return ret;
	}
	while (!h->sync_done) {
		struct io_uring_cqe *cqe;

		if (!h->have_ring)
			break;	/* cannot happen: jobs completed inline */
		ret = io_uring_submit_and_wait_timeout(&h->ring, &cqe, 1,
						       NULL, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR &&
		    ret != -EAGAIN && ret != -EBUSY)
			break;	/* the ring is broken; keep the slot */
		drain_cqes(h);
	}
	h->sync_job = NULL;
	if (!h->sync_done)
		return ret < 0 ? ret : -EIO;
	h->sync_done = false;
	h->in_flight--;
	if (c)
		*c = h->sync_c;
	return h->sync_c.res;
}
