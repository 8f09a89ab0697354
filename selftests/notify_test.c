// SPDX-License-Identifier: GPL-2.0
/*
 * MSGQ_IOC_NOTIFY, mq_notify(3) on a mailbox, with Linux mqueue's rules: one
 * registration per mailbox (EBUSY while there is one); it fires once, when
 * a message arrives in the empty mailbox and no receiver waits for it, and
 * goes then; a message handed to a waiting receiver fires nothing; the
 * registering process removes it with MSGQ_NOTIFY_REMOVE, or by closing a
 * handle of the mailbox. A signal carries SI_MESGQ, the value and the
 * sender's pid and uid; an eventfd gets 1.
 */
#include "msgq_test.h"

#include <sys/eventfd.h>

static volatile sig_atomic_t got_sig, got_code, got_pid, got_uid, got_value;

static void on_sig(int sig, siginfo_t *si, void *ctx)
{
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_uid = si->si_uid;
	got_value = si->si_value.sival_int;
	got_sig = sig;
}

static int notify(int fd, __u32 how, int signo, int efd, __u64 value)
{
	struct msgq_notify n = {
		.how = how, .signo = signo, .fd = efd, .value = value,
	};

	return msgq_notify(fd, &n);	/* libmsgq: the ioctl */
}

/* Wait up to @ms for the handler to run; true if it did. */
static bool signalled(int ms)
{
	while (!got_sig && ms-- > 0)
		sleep_ms(1);
	return got_sig;
}

static void catch_sigusr1(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_sig, .sa_flags = SA_SIGINFO | SA_RESTART,
	};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	got_sig = 0;
}

/* A child sends @v to mailbox @name; its pid. */
static pid_t send_from_child(int dev, const char *name, unsigned int v)
{
	pid_t pid = fork();

	if (!pid) {
		int fd = msgq_open_at(dev, name, MSGQ_O_SEND);

		_exit(fd < 0 || msgq_send(fd, &v, sizeof(v), 7) ? 1 : 0);
	}
	return pid;
}

TEST_F(msgq, signal_once_with_siginfo)
{
	unsigned int v;
	int status;
	pid_t pid;

	MBOX_CREATE(4, sizeof(v));
	catch_sigusr1();
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_SIGNAL, SIGUSR1, -1, 4242));
	pid = send_from_child(self->dev, self->name, 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_TRUE(signalled(5000));
	ASSERT_EQ(SIGUSR1, got_sig);
	ASSERT_EQ(SI_MESGQ, got_code);
	ASSERT_EQ(4242, got_value);
	ASSERT_EQ(pid, got_pid);
	ASSERT_EQ(geteuid(), (uid_t)got_uid);
	/* Once: the registration is gone, another may register. */
	got_sig = 0;
	ASSERT_EQ(0, msgq_recv(self->fd, &v, sizeof(v), NULL) != sizeof(v));
	ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	ASSERT_FALSE(signalled(100));
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
}

static long sleep_unblocked(void *arg)
{
	sigset_t none;

	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	return signalled(5000) ? 0 : -1;
}

/*
 * The signal is for the process: a thread that does not block it takes it
 * when the main thread does (a helper-thread design), not left pending on
 * the main thread.
 */
TEST_F(msgq, signal_to_a_thread_that_takes_it)
{
	struct call c = { .op = CALL_FN, .fn = sleep_unblocked };
	sigset_t usr1, old;

	MBOX_CREATE(4, 4);
	catch_sigusr1();
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &usr1, &old));
	ASSERT_TRUE(call_start(&c));
	sleep_ms(50);
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_SIGNAL, SIGUSR1, -1, 7));
	ASSERT_EQ(0, msgq_send(self->fd, "x", 1, 0));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ(0, c.ret) TH_LOG("the signal went to the thread blocking it");
	ASSERT_EQ(7, got_value);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Only a message into an empty mailbox fires. */
TEST_F(msgq, only_empty_to_non_empty)
{
	unsigned int v = 1;

	MBOX_CREATE(4, sizeof(v));
	ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	catch_sigusr1();
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_SIGNAL, SIGUSR1, -1, 0));
	ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	ASSERT_FALSE(signalled(100)) TH_LOG("fired on a non-empty mailbox");
	/* Still registered: emptied and sent to again, it fires. */
	ASSERT_ERRNO(EBUSY, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
	ASSERT_EQ((ssize_t)sizeof(v), msgq_recv(self->fd, &v, sizeof(v), NULL));
	ASSERT_EQ((ssize_t)sizeof(v), msgq_recv(self->fd, &v, sizeof(v), NULL));
	ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	ASSERT_TRUE(signalled(5000));
}

/* A message handed to a waiting receiver fires nothing. */
TEST_F(msgq, waiting_receiver_takes_it_silently)
{
	unsigned int v = 5;

	MBOX_CREATE(4, sizeof(v));
	struct call c = { .op = CALL_RECV, .fd = self->fd };

	catch_sigusr1();
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_SIGNAL, SIGUSR1, -1, 0));
	ASSERT_TRUE(call_start_blocked(&c));
	ASSERT_EQ(0, msgq_send(self->fd, &v, sizeof(v), 0));
	ASSERT_TRUE(call_wait(&c, WAKE_MS));
	ASSERT_EQ((long)sizeof(v), c.ret);
	ASSERT_FALSE(signalled(100)) TH_LOG("fired with a receiver waiting");
	ASSERT_ERRNO(EBUSY, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
}

/* EBUSY for another process; REMOVE and close(2) end a registration. */
TEST_F(msgq, busy_remove_and_close)
{
	int other, status;
	pid_t pid;

	MBOX_CREATE(4, 4);
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
	pid = fork();
	if (!pid) {
		int fd = msgq_open_at(self->dev, self->name, MSGQ_O_RECV);

		/* Another process: busy; its REMOVE takes nothing away. */
		if (notify(fd, MSGQ_NOTIFY_NONE, 0, -1, 0) != -1 ||
		    errno != EBUSY)
			_exit(1);
		if (notify(fd, MSGQ_NOTIFY_REMOVE, 0, -1, 0))
			_exit(2);
		_exit(notify(fd, MSGQ_NOTIFY_NONE, 0, -1, 0) != -1 ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_REMOVE, 0, -1, 0));
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_REMOVE, 0, -1, 0));
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
	/* Closing any handle of the mailbox in this process removes it. */
	other = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, other);
	close(other);
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
}

/* SIGEV_NONE goes with its first message, as mqueue's. */
TEST_F(msgq, none_goes_with_the_first_message)
{
	MBOX_CREATE(4, 4);
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
	ASSERT_EQ(0, msgq_send(self->fd, "x", 1, 0));
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));
}

/* An eventfd gets 1 per notification: a library's SIGEV_THREAD. */
TEST_F(msgq, eventfd)
{
	uint64_t n = 0;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	MBOX_CREATE(4, 4);
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_EVENTFD, 0, efd, 0));
	ASSERT_ERRNO(EAGAIN, read(efd, &n, sizeof(n)));
	ASSERT_EQ(0, msgq_send(self->fd, "x", 1, 0));
	ASSERT_EQ((ssize_t)sizeof(n), read(efd, &n, sizeof(n)));
	ASSERT_EQ(1U, n);
	close(efd);
}

/* Bad input: EINVAL, EBADF; a dead mailbox: EIDRM. */
TEST_F(msgq, errors)
{
	struct msgq_notify n;
	int p[2], s;

	MBOX_CREATE(4, 4);
	ASSERT_ERRNO(EINVAL, notify(self->fd, 4, 0, -1, 0));
	ASSERT_ERRNO(EINVAL, notify(self->fd, MSGQ_NOTIFY_SIGNAL, 0, -1, 0));
	ASSERT_ERRNO(EINVAL, notify(self->fd, MSGQ_NOTIFY_SIGNAL, 65, -1, 0));
	memset(&n, 0, sizeof(n));
	n.how = MSGQ_NOTIFY_NONE;
	n.__pad = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, MSGQ_IOC_NOTIFY, &n));
	n.__pad = 0;
	n.__reserved[1] = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, MSGQ_IOC_NOTIFY, &n));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, MSGQ_IOC_NOTIFY, NULL));
	ASSERT_ERRNO(EBADF, notify(self->fd, MSGQ_NOTIFY_EVENTFD, 0, -1, 0));
	ASSERT_EQ(0, pipe(p));
	ASSERT_ERRNO(EINVAL, notify(self->fd, MSGQ_NOTIFY_EVENTFD, 0, p[0], 0));
	close(p[0]);
	close(p[1]);
	s = msgq_open_at(self->dev, self->name, MSGQ_O_SEND);
	ASSERT_LE(0, s);
	ASSERT_ERRNO(EBADF, notify(s, MSGQ_NOTIFY_NONE, 0, -1, 0));
	ASSERT_ERRNO(ENOTTY, ioctl(self->dev, MSGQ_IOC_NOTIFY, &n));
	close(s);
	/* Nothing registered by all that. */
	ASSERT_EQ(0, notify(self->fd, MSGQ_NOTIFY_NONE, 0, -1, 0));

	self->fd2 = msgq_create_at(self->dev, self->name2,
				   MSGQ_O_RDWR | MSGQ_O_OWNED, 0600, 4, 4);
	ASSERT_LE(0, self->fd2);
	s = msgq_open_at(self->dev, self->name2, MSGQ_O_RECV);
	ASSERT_LE(0, s);
	close(self->fd2);
	self->fd2 = -1;
	ASSERT_ERRNO(EIDRM, notify(s, MSGQ_NOTIFY_NONE, 0, -1, 0));
	close(s);
}

TEST_HARNESS_MAIN
