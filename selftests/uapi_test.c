// SPDX-License-Identifier: GPL-2.0
/*
 * The wire format, exercised with raw ioctls: unknown flag bits and
 * non-zero reserved or padding fields are EINVAL on every ioctl, ioctls
 * on the wrong kind of handle and unknown ioctls are ENOTTY, and bad
 * struct or name pointers are EFAULT.
 */
#include "msgq_test.h"

static void create_args(struct msgq_create *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = ptr_to_u64(name);
	c->flags = MSGQ_O_RDWR | MSGQ_O_EXCL;
	c->mode = 0600;
	c->max_msgs = 4;
	c->max_msgsize = 16;
}

/* MSGQ_IOC_CREATE: every flag bit outside MSGQ_CREATE_FLAGS is EINVAL */
TEST_F(msgq, create_unknown_flags_einval)
{
	struct msgq_create c;
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if (MSGQ_CREATE_FLAGS & (1U << bit))
			continue;
		create_args(&c, self->name);
		c.flags |= 1U << bit;
		ASSERT_EQ(-1, ioctl(self->dev, MSGQ_IOC_CREATE, &c))
			TH_LOG("flag bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno) TH_LOG("bit %u: %s", bit,
						strerror(errno));
	}
	/* nothing was created along the way */
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RDWR));
	/* and the same struct without the bad bit is fine */
	create_args(&c, self->name);
	self->fd = ioctl(self->dev, MSGQ_IOC_CREATE, &c);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(errno));
}

/* MSGQ_IOC_CREATE: each reserved word non-zero is EINVAL */
TEST_F(msgq, create_reserved_einval)
{
	struct msgq_create c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c.__reserved); i++) {
		create_args(&c, self->name);
		c.__reserved[i] = 1ull << 63;
		ASSERT_EQ(-1, ioctl(self->dev, MSGQ_IOC_CREATE, &c))
			TH_LOG("__reserved[%u] accepted", i);
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name, MSGQ_O_RDWR));
}

/* MSGQ_IOC_OPEN: flags outside MSGQ_OPEN_FLAGS (incl. EXCL, OWNED) */
TEST_F(msgq, open_unknown_flags_einval)
{
	struct msgq_open o = { .name = ptr_to_u64(self->name) };
	unsigned int bit;

	MBOX_CREATE(4, 16);
	for (bit = 0; bit < 32; bit++) {
		if (MSGQ_OPEN_FLAGS & (1U << bit))
			continue;
		o.flags = MSGQ_O_RDWR | (1U << bit);
		ASSERT_EQ(-1, ioctl(self->dev, MSGQ_IOC_OPEN, &o))
			TH_LOG("flag bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno) TH_LOG("bit %u: %s", bit,
						strerror(errno));
	}
	o.flags = MSGQ_O_RDWR;
	self->fd2 = ioctl(self->dev, MSGQ_IOC_OPEN, &o);
	ASSERT_LE(0, self->fd2) TH_LOG("%s", strerror(errno));
}

/* MSGQ_IOC_OPEN: __pad and __reserved must be zero */
TEST_F(msgq, open_pad_reserved_einval)
{
	struct msgq_open o = {
		.name = ptr_to_u64(self->name),
		.flags = MSGQ_O_RDWR,
		.__pad = 1,
	};

	MBOX_CREATE(4, 16);
	ASSERT_ERRNO(EINVAL, ioctl(self->dev, MSGQ_IOC_OPEN, &o));
	o.__pad = 0;
	o.__reserved[0] = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->dev, MSGQ_IOC_OPEN, &o));
	o.__reserved[0] = 0;
	o.__reserved[1] = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->dev, MSGQ_IOC_OPEN, &o));
}

/* MSGQ_IOC_UNLINK: flags and __pad must be zero; the name survives */
TEST_F(msgq, unlink_flags_pad_einval)
{
	struct msgq_unlink u = { .name = ptr_to_u64(self->name), .flags = 1 };

	MBOX_CREATE(4, 16);
	ASSERT_ERRNO(EINVAL, ioctl(self->dev, MSGQ_IOC_UNLINK, &u));
	u.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(self->dev, MSGQ_IOC_UNLINK, &u));
	u.flags = 0;
	u.__pad = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->dev, MSGQ_IOC_UNLINK, &u));
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd2) TH_LOG("the name was removed");
}

/* MSGQ_IOC_SEND: unknown flags are EINVAL and nothing is queued */
TEST_F(msgq, send_unknown_flags_einval)
{
	struct msgq_send s = { .buf = ptr_to_u64("x"), .len = 1 };
	unsigned int bit;

	MBOX_CREATE(4, 16);
	for (bit = 0; bit < 32; bit++) {
		if (MSGQ_SEND_FLAGS & (1U << bit))
			continue;
		s.flags = 1U << bit;
		ASSERT_EQ(-1, ioctl(self->fd, MSGQ_IOC_SEND, &s))
			TH_LOG("flag bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno) TH_LOG("bit %u: %s", bit,
						strerror(errno));
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* MSGQ_IOC_SEND: fd_flags must be zero, nfds at most MSGQ_FDS_MAX */
TEST_F(msgq, send_fd_fields_einval)
{
	struct msgq_send s = { .buf = ptr_to_u64("x"), .len = 1 };
	int fds[MSGQ_FDS_MAX + 1];
	unsigned int i;

	MBOX_CREATE(4, 16);
	for (i = 0; i < 32; i++) {
		s.fd_flags = 1U << i;
		ASSERT_ERRNO(EINVAL, msgq_send_args(self->fd, &s),
			     "fd_flags bit %u", i);
	}
	s.fd_flags = 0;
	for (i = 0; i <= MSGQ_FDS_MAX; i++)
		fds[i] = 0;
	s.fds = ptr_to_u64(fds);
	s.nfds = MSGQ_FDS_MAX + 1;
	ASSERT_ERRNO(EINVAL, msgq_send_args(self->fd, &s));
	s.nfds = 0x80000000U;
	ASSERT_ERRNO(EINVAL, msgq_send_args(self->fd, &s));
	ASSERT_EQ(0, mbox_depth(self->fd));
	/* no descriptors: the pointer is not looked at */
	s.nfds = 0;
	s.fds = ptr_to_u64((void *)16);
	ASSERT_EQ(0, msgq_send_args(self->fd, &s));
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* MSGQ_IOC_RECV: unknown flags are EINVAL and nothing is dequeued */
TEST_F(msgq, recv_unknown_flags_einval)
{
	char buf[16];
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf) };
	unsigned int bit;

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "x", 1, 0));
	for (bit = 0; bit < 32; bit++) {
		if (MSGQ_RECV_FLAGS & (1U << bit))
			continue;
		r.flags = 1U << bit;
		ASSERT_EQ(-1, ioctl(self->fd, MSGQ_IOC_RECV, &r))
			TH_LOG("flag bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno) TH_LOG("bit %u: %s", bit,
						strerror(errno));
	}
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/*
 * MSGQ_IOC_RECV: __pad must be zero, fd_flags only MSGQ_FD_CLOEXEC (and
 * MSGQ_FD_CTRUNC, an output a reused struct may still hold)
 */
TEST_F(msgq, recv_pad_fd_flags_einval)
{
	char buf[16];
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf) };
	unsigned int bit;

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "x", 1, 0));
	r.__pad = 1;
	ASSERT_ERRNO(EINVAL, msgq_recv_args(self->fd, &r));
	r.__pad = 0;
	for (bit = 0; bit < 32; bit++) {
		if ((MSGQ_FD_CLOEXEC | MSGQ_FD_CTRUNC) & (1U << bit))
			continue;
		r.fd_flags = 1U << bit;
		ASSERT_ERRNO(EINVAL, msgq_recv_args(self->fd, &r),
			     "fd_flags bit %u", bit);
	}
	ASSERT_EQ(1, mbox_depth(self->fd));
	r.fd_flags = MSGQ_FD_CLOEXEC | MSGQ_FD_CTRUNC;
	ASSERT_EQ(1, msgq_recv_args(self->fd, &r));
	ASSERT_EQ(0U, r.nfds);
	ASSERT_EQ(MSGQ_FD_CLOEXEC, r.fd_flags);
}

/* an ioctl number msgq does not know: ENOTTY, on both kinds of handle */
TEST_F(msgq, unknown_ioctl_enotty)
{
	struct msgq_attr a;

	MBOX_CREATE(4, 16);
	ASSERT_ERRNO(ENOTTY, ioctl(self->dev, _IO(MSGQ_IOC_MAGIC, 0x7f)));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO(MSGQ_IOC_MAGIC, 0x7f)));
	/* a known number with a different size is a different ioctl */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd,
				   _IOR(MSGQ_IOC_MAGIC, 0x12, __u64), &a));
}

/* mailbox ioctls on /dev/msgq: ENOTTY */
TEST_F(msgq, mailbox_ioctls_on_device_enotty)
{
	struct msgq_send s = { .buf = ptr_to_u64("x"), .len = 1 };
	struct msgq_attr a;
	char buf[4];
	struct msgq_recv r = { .buf = ptr_to_u64(buf), .cap = sizeof(buf) };

	ASSERT_ERRNO(ENOTTY, ioctl(self->dev, MSGQ_IOC_SEND, &s));
	ASSERT_ERRNO(ENOTTY, ioctl(self->dev, MSGQ_IOC_RECV, &r));
	ASSERT_ERRNO(ENOTTY, ioctl(self->dev, MSGQ_IOC_GETATTR, &a));
}

/* name ioctls on a mailbox handle: ENOTTY, and nothing is created */
TEST_F(msgq, device_ioctls_on_mailbox_enotty)
{
	struct msgq_create c;
	struct msgq_open o = { .name = ptr_to_u64(self->name2),
			       .flags = MSGQ_O_RDWR };
	struct msgq_unlink u = { .name = ptr_to_u64(self->name) };

	MBOX_CREATE(4, 16);
	create_args(&c, self->name2);
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, MSGQ_IOC_CREATE, &c));
	ASSERT_ERRNO(ENOENT, msgq_open_at(self->dev, self->name2,
					  MSGQ_O_RDWR));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, MSGQ_IOC_OPEN, &o));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, MSGQ_IOC_UNLINK, &u));
	self->fd2 = msgq_open_at(self->dev, self->name, MSGQ_O_RDWR);
	ASSERT_LE(0, self->fd2) TH_LOG("the name was removed");
}

/* a bad pointer to the argument struct: EFAULT */
TEST_F(msgq, bad_struct_pointer_efault)
{
	MBOX_CREATE(4, 16);
	ASSERT_ERRNO(EFAULT, ioctl(self->dev, MSGQ_IOC_CREATE, NULL));
	ASSERT_ERRNO(EFAULT, ioctl(self->dev, MSGQ_IOC_OPEN, (void *)8));
	ASSERT_ERRNO(EFAULT, ioctl(self->dev, MSGQ_IOC_UNLINK, NULL));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, MSGQ_IOC_SEND, NULL));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, MSGQ_IOC_RECV, NULL));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, MSGQ_IOC_GETATTR, NULL));
}

/* a bad name pointer: EFAULT */
TEST_F(msgq, bad_name_pointer_efault)
{
	ASSERT_ERRNO(EFAULT, msgq_create_at(self->dev, (const char *)8,
					    MSGQ_O_RDWR, 0600, 1, 1));
	ASSERT_ERRNO(EFAULT, msgq_open_at(self->dev, NULL, MSGQ_O_RDWR));
	ASSERT_ERRNO(EFAULT, msgq_unlink_at(self->dev, NULL));
}

/* the library clamps or rejects sizes that do not fit the u32 fields */
TEST_F(msgq, lib_size_above_u32)
{
	char buf[16];
	unsigned int prio;

	MBOX_CREATE(4, 16);
	if (sizeof(size_t) <= 4)
		SKIP(return, "32-bit size_t");
	ASSERT_ERRNO(EMSGSIZE, msgq_send(self->fd, buf,
					 (size_t)UINT32_MAX + 2, 0));
	ASSERT_EQ(0, mbox_depth(self->fd));
	ASSERT_ERRNO(EINVAL, msgq_create_at(self->dev, self->name2,
					    MSGQ_O_RDWR, 0600, 1,
					    (size_t)UINT32_MAX + 2));
	/* a huge capacity is clamped, not truncated to a tiny one */
	ASSERT_EQ(0, msgq_send(self->fd, "abc", 3, 2));
	ASSERT_EQ(3, msgq_recv(self->fd, buf, (size_t)UINT32_MAX + 2, &prio));
	ASSERT_EQ(2U, prio);
}

static void batch_args(struct msgq_batch *b, struct msgq_mmsg *m,
		       unsigned int count)
{
	memset(b, 0, sizeof(*b));
	b->msgs = ptr_to_u64(m);
	b->count = count;
}

/* MSGQ_IOC_SEND_BATCH/RECV_BATCH: unknown flags are EINVAL */
TEST_F(msgq, batch_unknown_flags_einval)
{
	struct msgq_mmsg m = { .buf = ptr_to_u64("x"), .len = 1 };
	struct msgq_batch b;
	unsigned int bit;

	MBOX_CREATE(4, 16);
	for (bit = 0; bit < 32; bit++) {
		if (MSGQ_BATCH_FLAGS & (1U << bit))
			continue;
		batch_args(&b, &m, 1);
		b.flags = 1U << bit;
		ASSERT_EQ(-1, ioctl(self->fd, MSGQ_IOC_SEND_BATCH, &b))
			TH_LOG("send: flag bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno);
		ASSERT_EQ(-1, ioctl(self->fd, MSGQ_IOC_RECV_BATCH, &b))
			TH_LOG("recv: flag bit %u accepted", bit);
		ASSERT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* batches: __pad, __reserved and a count of 0 or > MSGQ_BATCH_MAX */
TEST_F(msgq, batch_pad_reserved_count_einval)
{
	struct msgq_mmsg m = { .buf = ptr_to_u64("x"), .len = 1 };
	unsigned long cmds[] = { MSGQ_IOC_SEND_BATCH, MSGQ_IOC_RECV_BATCH };
	struct msgq_batch b;
	unsigned int i;

	MBOX_CREATE(4, 16);
	ASSERT_EQ(0, msgq_send(self->fd, "q", 1, 0));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		batch_args(&b, &m, 1);
		b.__pad = 1;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, cmds[i], &b));
		batch_args(&b, &m, 1);
		b.__reserved[0] = 1;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, cmds[i], &b));
		batch_args(&b, &m, 1);
		b.__reserved[1] = 1;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, cmds[i], &b));
		batch_args(&b, &m, 0);
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, cmds[i], &b));
		batch_args(&b, &m, MSGQ_BATCH_MAX + 1);
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, cmds[i], &b));
	}
	ASSERT_EQ(1, mbox_depth(self->fd));
}

/* a batch entry's reserved word must be zero */
TEST_F(msgq, batch_entry_reserved_einval)
{
	struct msgq_mmsg m = {
		.buf = ptr_to_u64("x"), .len = 1, .__reserved = 1,
	};
	struct msgq_batch b;

	MBOX_CREATE(4, 16);
	batch_args(&b, &m, 1);
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, MSGQ_IOC_SEND_BATCH, &b));
	ASSERT_EQ(0, mbox_depth(self->fd));
	m.__reserved = 0;
	m.pid = 1;	/* an output field: must be zero on send */
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, MSGQ_IOC_SEND_BATCH, &b));
	ASSERT_EQ(0, mbox_depth(self->fd));
}

/* batch ioctls on /dev/msgq: ENOTTY */
TEST_F(msgq, batch_on_device_enotty)
{
	struct msgq_mmsg m = { .buf = ptr_to_u64("x"), .len = 1 };
	struct msgq_batch b;

	batch_args(&b, &m, 1);
	ASSERT_ERRNO(ENOTTY, ioctl(self->dev, MSGQ_IOC_SEND_BATCH, &b));
	ASSERT_ERRNO(ENOTTY, ioctl(self->dev, MSGQ_IOC_RECV_BATCH, &b));
}

TEST_HARNESS_MAIN
