// SPDX-License-Identifier: GPL-2.0
/*
 * msgq-bench: POSIX mq over msgq. mech_mq.c's own code, unchanged, its
 * calls going to libmsgq-posix (lib/posix) instead of glibc: what a POSIX
 * mq program gets from -lmsgq-posix or LD_PRELOAD. glibc's mq_* stay in
 * the program for mech_mq.c, so the bench links a copy of
 * libmsgq-posix.a with every symbol renamed msgq_posix_NAME (the top
 * Makefile, from libmsgq-posix.map) and includes mech_mq.c here with its
 * calls renamed alike. Its struct mech comes along as mech_mq_included,
 * unused: the column is this one, over the same functions.
 */
#define mq_open		msgq_posix_mq_open
#define mq_close	msgq_posix_mq_close
#define mq_unlink	msgq_posix_mq_unlink
#define mq_send		msgq_posix_mq_send
#define mq_receive	msgq_posix_mq_receive
#define mech_mq		mech_mq_included
#include "mech_mq.c"
#undef mech_mq

const struct mech mech_mq_msgq = {
	.name = "posix-mq-msgq", .short_name = "POSIX mq on msgq",
	.kinds = KINDS_ALL,
	.open = mq_chan_open, .close = mq_chan_close,
	.send = mq_ep_send, .recv = mq_ep_recv,
};
