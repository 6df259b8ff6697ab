// SPDX-License-Identifier: MIT OR GPL-2.0
/*
 * The device backend: /dev/spex. Control calls are ioctls; jobs go as
 * IORING_OP_URING_CMD on the handle's SQE128 ring when the module
 * announces SPEX_F_URING_CMD (the device fd registered as fixed file 0),
 * else as SPEX_IOC_INFER run inline. Each job passes a result pointer, so
 * the full struct spex_result arrives with the CQE and CQE32 rings are
 * not needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libspex_int.h"

static int xioctl(struct spex *h, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(h->dev_fd, cmd, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

static int dev_info(struct spex *h, struct spex_info *info)
{
	memset(info, 0, sizeof(*info));
	return xioctl(h, SPEX_IOC_GET_INFO, info);
}

static int dev_load(struct spex *h, const void *blob, size_t len,
		    uint32_t flags, uint32_t *id, struct spex_load_error *err)
{
	struct spex_load ld = { .flags = flags };
	int ret;

	ld.blob = (uintptr_t)blob;
	ld.blob_len = (uint32_t)len;
	ret = xioctl(h, SPEX_IOC_LOAD_MODEL, &ld);
	if (err && (ret || ld.status)) {
		err->status = ld.status;
		err->offset = ld.offset;
		snprintf(err->msg, sizeof(err->msg), "%.*s",
			 (int)sizeof(ld.msg), ld.msg);
	}
	if (ret)
		return ret;
	*id = ld.model_id;
	return 0;
}

static int dev_unload(struct spex *h, uint32_t id)
{
	struct spex_unload ul = { .model_id = id };

	return xioctl(h, SPEX_IOC_UNLOAD_MODEL, &ul);
}

static int dev_list(struct spex *h, uint32_t *ids, uint32_t cap)
{
	struct spex_list ls = { 0 };
	int ret;

	ls.ids = (uintptr_t)ids;
	ls.capacity = cap;
	ret = xioctl(h, SPEX_IOC_LIST_MODELS, &ls);
	return ret ? ret : (int)ls.count;
}

static int dev_describe(struct spex *h, uint32_t id,
			struct spex_model_desc *d,
			struct spex_layer_desc *layers, uint32_t cap)
{
	memset(d, 0, sizeof(*d));
	d->model_id = id;
	d->layers = (uintptr_t)layers;
	d->layers_cap = layers ? cap : 0;
	return xioctl(h, SPEX_IOC_MODEL_INFO, d);
}

static int dev_set_policy(struct spex *h, uint32_t id,
			  const struct spex_policy *p)
{
	struct spex_set_policy sp = { .model_id = id, .policy = *p };

	return xioctl(h, SPEX_IOC_SET_POLICY, &sp);
}

/* What the handle needs of a device model, fetched once per id. */
static int dev_lookup(struct spex *h, uint32_t id, struct lib_model **out)
{
	struct spex_model_desc d;
	struct lib_model *m = lib_model_find(h, id);
	int ret;

	if (m) {
		*out = m;
		return 0;
	}
	ret = dev_describe(h, id, &d, NULL, 0);
	if (ret)
		return ret;
	m = lib_model_add(h, id);
	if (!m)
		return -ENOMEM;
	m->role = d.role;
	m->n_classes = d.n_classes;
	m->input_bytes = d.input_bytes;
	m->output_bytes = d.output_bytes;
	memcpy(m->hash, d.hash, sizeof(m->hash));
	*out = m;
	return 0;
}

static void fill_job(struct spex *h, struct lib_job *j)
{
	struct spex_job *dj = &j->djob;

	memset(dj, 0, sizeof(*dj));
	dj->model_id = j->req.model_id;
	if (((j->req.flags & SPEX_REQ_SCALAR) ||
	     (h->open_flags & SPEX_OPEN_SCALAR)) &&
	    (h->dev_info.features & SPEX_F_JOB_SCALAR))
		dj->flags = SPEX_JOB_F_SCALAR;
	dj->input = (uintptr_t)j->req.input;
	dj->input_len = j->req.input_len;
	dj->output = (uintptr_t)j->out;
	dj->output_len = j->req.output_len;
	dj->result = (uintptr_t)&j->result;
}

static void dev_start(struct spex *h, struct lib_job *j)
{
	struct io_uring_sqe *sqe;
	int ret;

	fill_job(h, j);
	if (!h->use_uring_cmd) {
		ret = xioctl(h, SPEX_IOC_INFER, &j->djob);
		lib_head_done(h, j, ret < 0 ? ret : 0);
		return;
	}
	/* liburing 2.3 has no uring_cmd helper: a plain rw prep, then the
	 * command op and the job in the SQE128 command area. */
	sqe = lib_get_sqe(h);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, h->dev_fixed ? 0 : h->dev_fd,
			 NULL, 0, 0);
	sqe->cmd_op = SPEX_URING_CMD_INFER;
	memset(sqe->cmd, 0, SPEX_URING_CMD_BYTES);
	memcpy(sqe->cmd, &j->djob, sizeof(j->djob));
	if (h->dev_fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, lib_op_data(j, OP_DEV));
	j->pending_ops++;
}

static void dev_close_model(struct spex *h, struct lib_model *m)
{
}

const struct lib_backend_ops lib_dev_ops = {
	.info		= dev_info,
	.load		= dev_load,
	.unload		= dev_unload,
	.list		= dev_list,
	.describe	= dev_describe,
	.set_policy	= dev_set_policy,
	.lookup		= dev_lookup,
	.start		= dev_start,
	.close		= dev_close_model,
};

int lib_dev_open(struct spex *h, const char *path)
{
	int fd, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	h->dev_fd = fd;
	ret = dev_info(h, &h->dev_info);
	if (ret)
		goto err;
	if (h->dev_info.abi_version != SPEX_ABI_VERSION) {
		ret = -EPROTONOSUPPORT;
		goto err;
	}
	/* Only the features both sides know. */
	h->dev_info.features &= SPEX_F_ALL;
	h->use_uring_cmd = (h->dev_info.features & SPEX_F_URING_CMD) &&
			   !(h->open_flags & SPEX_OPEN_NO_URING);
	h->backend = SPEX_BACKEND_DEVICE;
	h->ops = &lib_dev_ops;
	return 0;
err:
	close(fd);
	h->dev_fd = -1;
	return ret;
}
