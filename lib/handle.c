// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * libspex handle: open/close, the model table, job slots, submission,
 * the completion FIFO and the reap loop that drives every CQE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libspex_int.h"

uint64_t lib_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct lib_model *lib_model_find(struct spex *h, uint32_t id)
{
	struct lib_model *m;

	for (m = h->models; m; m = m->next)
		if (m->id == id)
			return m;
	return NULL;
}

struct lib_model *lib_model_add(struct spex *h, uint32_t id)
{
	struct lib_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->id = id;
	m->next = h->models;
	h->models = m;
	return m;
}

/* Forget a model id. Jobs in flight that point at it must be gone: the
 * device's UNLOAD waits for them, and the user backend runs jobs inline,
 * so only offloads can still refer to it; they hold the tail, not it. */
void lib_model_drop(struct spex *h, uint32_t id)
{
	struct lib_model **pp, *m;

	for (pp = &h->models; (m = *pp); pp = &m->next) {
		if (m->id != id)
			continue;
		*pp = m->next;
		for (uint32_t i = 0; i < h->n_slots; i++)
			if (h->jobs[i].model == m)
				h->jobs[i].model = NULL;
		if (m->tail)
			m->tail->retired = true;
		free(m);
		return;
	}
}

/* An SQE, flushing the SQ to the kernel when it is full. */
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
	h->cq = calloc(h->depth, sizeof(*h->cq));
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

int spex_load_blob(struct spex *h, const void *blob, size_t len,
		   uint32_t *model_id, struct spex_load_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!h || !blob || !model_id)
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EFBIG;
	return h->ops->load(h, blob, len, model_id, err);
}

int spex_load_file(struct spex *h, const char *path, uint32_t *model_id,
		   struct spex_load_error *err)
{
	void *blob = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, ret;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!h || !path || !model_id)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == cap) {
			void *nb;

			cap = cap ? cap * 2 : 1 << 16;
			if (cap > (1u << 31)) {
				ret = -EFBIG;
				goto out;
			}
			nb = realloc(blob, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			blob = nb;
		}
		n = read(fd, (char *)blob + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = spex_load_blob(h, blob, len, model_id, err);
out:
	free(blob);
	close(fd);
	return ret;
}

int spex_unload_model(struct spex *h, uint32_t model_id)
{
	int ret;

	if (!h || !model_id)
		return -EINVAL;
	ret = h->ops->unload(h, model_id);
	if (ret == 0 || ret == -ENOENT)
		lib_model_drop(h, model_id);
	return ret;
}

int spex_list_models(struct spex *h, uint32_t *ids, uint32_t cap)
{
	if (!h || (cap && !ids))
		return -EINVAL;
	return h->ops->list(h, ids, cap);
}

int spex_describe_model(struct spex *h, uint32_t model_id,
			struct spex_model_desc *desc,
			struct spex_layer_desc *layers, uint32_t layers_cap)
{
	if (!h || !desc || (layers_cap && !layers))
		return -EINVAL;
	return h->ops->describe(h, model_id, desc, layers, layers_cap);
}

int spex_set_model_policy(struct spex *h, uint32_t model_id,
			  const struct spex_policy *policy)
{
	if (!h || !policy)
		return -EINVAL;
	return h->ops->set_policy(h, model_id, policy);
}

int spex_set_offload(struct spex *h, uint32_t model_id,
		     const struct spex_offload_opts *opts)
{
	struct lib_model *m;
	struct lib_tail *t;
	int ret;

	if (!h)
		return -EINVAL;
	ret = h->ops->lookup(h, model_id, &m);
	if (ret)
		return ret;
	if (!opts || !opts->host) {
		if (m->tail)
			m->tail->retired = true;
		m->tail = NULL;
		return 0;
	}
	if (m->role != SPX_ROLE_HEAD)
		return -EINVAL;
	if (opts->reserved0 || !opts->port || opts->max_conns > LIB_MAX_CONNS)
		return -EINVAL;
	for (unsigned int i = 0; i < 5; i++)
		if (opts->reserved[i])
			return -EINVAL;
	if (!h->have_ring)
		return -EOPNOTSUPP;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = lib_tail_resolve(opts, t);
	if (ret) {
		free(t);
		return ret;
	}
	t->deadline_ms = opts->deadline_ms ? opts->deadline_ms :
			 LIB_DEFAULT_DEADLINE_MS;
	t->max_conns = opts->max_conns ? opts->max_conns : LIB_DEFAULT_CONNS;
	t->next = h->tails;
	h->tails = t;
	if (m->tail)
		lib_tail_release(m->tail);
	m->tail = t;
	return 0;
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
	if (j == h->sync_job) {
		c = &h->sync_c;
		h->sync_done = true;
	} else {
		c = &h->cq[(h->cq_head + h->cq_count++) % h->depth];
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
		break;
	case SPEX_DECISION_FINAL:
		h->stats.finals++;
		break;
	default:
		h->stats.offloads++;
		/* (a model unloaded meanwhile has no tail left) */
		if (j->tail && j->model && !j->tail->retired &&
		    !(j->req.flags & SPEX_REQ_NO_OFFLOAD)) {
			lib_offload_start(h, j);
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
	    (r->flags & ~(SPEX_REQ_SCALAR | SPEX_REQ_NO_OFFLOAD)))
		return -EINVAL;
	ret = h->ops->lookup(h, r->model_id, &m);
	if (ret)
		return ret;
	j->model = m;
	j->tail = m->tail;
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

		if (h->in_flight >= h->depth || !h->free_jobs)
			break;
		j = h->free_jobs;
		h->free_jobs = j->free_next;
		j->state = JOB_ENGINE;
		j->completed = false;
		j->deadline_armed = j->deadline_fired = false;
		j->conn_reused = j->retried = false;
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
		h->cq_head = (h->cq_head + 1) % h->depth;
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

int spex_get_stats(const struct spex *h, struct spex_handle_stats *st)
{
	if (!h || !st)
		return -EINVAL;
	*st = h->stats;
	return 0;
}
