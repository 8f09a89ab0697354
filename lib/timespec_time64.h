/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The struct timespec of a 32-bit program built with _TIME_BITS=64, for
 * the library entry points that take one (libmsgq's __msgq_*_time64,
 * libmsgq-posix's __mq_*_time64): private to lib/, shared by both.
 */
#ifndef LIBMSGQ_TIMESPEC_TIME64_H
#define LIBMSGQ_TIMESPEC_TIME64_H

#include <stdint.h>
#include <time.h>

#if defined(__TIMESIZE) && __TIMESIZE == 32
/*
 * glibc's struct __timespec64: a 64-bit tv_sec, then a long tv_nsec beside
 * 32 bits of padding, whose content is undefined and never read (the
 * kernel's get_timespec64() ignores it too).
 */
struct timespec_time64 {
	int64_t tv_sec;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	int32_t pad;
	long tv_nsec;
#else
	long tv_nsec;
	int32_t pad;
#endif
};

_Static_assert(sizeof(struct timespec_time64) == 16,
	       "struct timespec_time64 is not glibc's __timespec64");
#endif

#endif /* LIBMSGQ_TIMESPEC_TIME64_H */
