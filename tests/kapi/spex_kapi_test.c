// SPDX-License-Identifier: GPL-2.0
/*
 * Companion test module for spex.ko's in-kernel API (include/linux/spex.h).
 * A driver that already holds its data in the kernel would do what this
 * does: look a model up, run jobs from a workqueue (spex_submit, or
 * spex_submit_async with a completion callback) or from softirq (a timer:
 * spex_submit_atomic on an RCU lookup), put the model. The
 * selftests drive it through /dev/spex_kapi_test and check that the
 * results equal the ioctl path's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spex.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "spex_kapi_test.h"

static struct workqueue_struct *kapi_wq;

/* One batch; lives for the duration of the ioctl. */
struct kapi_batch {
	struct spex_kmodel *model;
	const struct spex_kapi_run *run;
	u8 *in, *out;
	struct spex_result *res;
	s32 *err;
	atomic_t pending;
	struct completion done;
	struct timer_list timer;		/* SPEX_KAPI_ATOMIC */
	u32 next;				/* its next job */
};

struct kapi_job {
	struct work_struct work;
	struct spex_request req;	/* SPEX_KAPI_ASYNC */
	struct kapi_batch *b;
	u32 i;
};

static void kapi_job_finish(struct kapi_batch *b)
{
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

static void kapi_async_done(struct spex_request *req)
{
	struct kapi_job *j = req->priv;

	j->b->res[j->i] = req->result;
	j->b->err[j->i] = req->error;
	kapi_job_finish(j->b);
}

static void kapi_work(struct work_struct *work)
{
	struct kapi_job *j = container_of(work, struct kapi_job, work);
	struct kapi_batch *b = j->b;
	const struct spex_kapi_run *r = b->run;
	u8 *in = b->in + (size_t)j->i * r->in_len;
	u8 *out = b->out + (size_t)j->i * r->out_len;
	int err;

	if (r->mode == SPEX_KAPI_SYNC) {
		b->err[j->i] = spex_submit(b->model, in, r->in_len, out,
					   r->out_len, r->flags,
					   &b->res[j->i]);
		kapi_job_finish(b);
		return;
	}
	j->req = (struct spex_request){
		.model = b->model, .input = in, .input_len = r->in_len,
		.output = out, .output_cap = r->out_len, .flags = r->flags,
		.done = kapi_async_done, .priv = j,
	};
	err = spex_submit_async(&j->req);
	if (err) {
		b->err[j->i] = err;
		kapi_job_finish(b);
	}
}

/* SPEX_KAPI_ATOMIC: one job per expiry, in softirq, as a NIC driver would. */
static void kapi_timer(struct timer_list *t)
{
	struct kapi_batch *b = from_timer(b, t, timer);
	const struct spex_kapi_run *r = b->run;
	u32 i = b->next++;
	u32 flags = r->flags & SPEX_JOB_F_SCALAR ? SPEX_KF_SCALAR : 0;
	struct spex_kmodel *m;

	rcu_read_lock();
	m = spex_kmodel_find_rcu(r->model_id);
	if (!in_serving_softirq())
		b->err[i] = -EDOM;
	else if (!m)
		b->err[i] = -ENOENT;
	else
		b->err[i] = spex_submit_atomic(m, b->in + (size_t)i * r->in_len,
					       r->in_len,
					       b->out + (size_t)i * r->out_len,
					       r->out_len, flags, &b->res[i]);
	rcu_read_unlock();
	if (b->next < r->count)
		mod_timer(&b->timer, jiffies);
	else
		complete(&b->done);
}

static long kapi_run(const struct spex_kapi_run *r)
{
	struct kapi_batch b = { .run = r };
	struct kapi_job *jobs;
	size_t in_bytes, out_bytes;
	long ret = 0;
	u32 i;

	if (!r->count || r->count > SPEX_KAPI_MAX_JOBS ||
	    r->in_len > (1 << 20) || r->out_len > (1 << 20) ||
	    r->mode > SPEX_KAPI_ATOMIC)
		return -EINVAL;
	in_bytes = (size_t)r->count * r->in_len;
	out_bytes = (size_t)r->count * r->out_len;

	b.model = spex_kmodel_get(r->model_id);
	if (!b.model)
		return -ENOENT;
	b.in = kvmalloc(in_bytes ?: 1, GFP_KERNEL);
	b.out = kvzalloc(out_bytes ?: 1, GFP_KERNEL);
	b.res = kvcalloc(r->count, sizeof(*b.res), GFP_KERNEL);
	b.err = kvcalloc(r->count, sizeof(*b.err), GFP_KERNEL);
	jobs = kvcalloc(r->count, sizeof(*jobs), GFP_KERNEL);
	if (!b.in || !b.out || !b.res || !b.err || !jobs) {
		ret = -ENOMEM;
		goto out;
	}
	if (copy_from_user(b.in, u64_to_user_ptr(r->inputs), in_bytes)) {
		ret = -EFAULT;
		goto out;
	}

	init_completion(&b.done);
	if (r->mode == SPEX_KAPI_ATOMIC) {
		timer_setup_on_stack(&b.timer, kapi_timer, 0);
		mod_timer(&b.timer, jiffies);
		wait_for_completion(&b.done);
		del_timer_sync(&b.timer);
		destroy_timer_on_stack(&b.timer);
		goto copy_out;
	}
	atomic_set(&b.pending, r->count);
	for (i = 0; i < r->count; i++) {
		jobs[i].b = &b;
		jobs[i].i = i;
		INIT_WORK(&jobs[i].work, kapi_work);
		queue_work(kapi_wq, &jobs[i].work);
	}
	wait_for_completion(&b.done);

copy_out:
	if (copy_to_user(u64_to_user_ptr(r->outputs), b.out, out_bytes) ||
	    copy_to_user(u64_to_user_ptr(r->results), b.res,
			 (size_t)r->count * sizeof(*b.res)) ||
	    copy_to_user(u64_to_user_ptr(r->errors), b.err,
			 (size_t)r->count * sizeof(*b.err)))
		ret = -EFAULT;
out:
	kvfree(jobs);
	kvfree(b.err);
	kvfree(b.res);
	kvfree(b.out);
	kvfree(b.in);
	spex_kmodel_put(b.model);
	return ret;
}

static long kapi_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct spex_kapi_run r;

	if (cmd != SPEX_KAPI_IOC_RUN)
		return -ENOTTY;
	if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
		return -EFAULT;
	return kapi_run(&r);
}

static const struct file_operations kapi_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kapi_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kapi_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "spex_kapi_test",
	.fops	= &kapi_fops,
	.mode	= 0600,
};

static int __init kapi_init(void)
{
	int err;

	kapi_wq = alloc_workqueue("spex_kapi_test", WQ_UNBOUND, 0);
	if (!kapi_wq)
		return -ENOMEM;
	err = misc_register(&kapi_misc);
	if (err)
		destroy_workqueue(kapi_wq);
	return err;
}

static void __exit kapi_exit(void)
{
	misc_deregister(&kapi_misc);
	destroy_workqueue(kapi_wq);
}

module_init(kapi_init);
module_exit(kapi_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("spex in-kernel API test: jobs from a workqueue or softirq");
