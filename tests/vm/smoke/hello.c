// SPDX-License-Identifier: GPL-2.0
/*
 * Smoke-test module for the VM harness (tests/vm/smoke.sh): proves that a
 * module built against a Debian kernel's headers loads and unloads in the
 * guest booted from that kernel.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init hello_init(void)
{
	pr_info("hello: loaded\n");
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("hello: unloaded\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("spex VM harness smoke-test module");
