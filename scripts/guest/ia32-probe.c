// SPDX-License-Identifier: GPL-2.0
/*
 * ia32-probe: built -m32 -static into the guest's bin/ (scripts/check.sh).
 * It prints "ia32" wherever the kernel runs 32-bit programs, that is, has
 * IA32_EMULATION; run-selftests.sh skips the 32-bit tests elsewhere.
 */
#include <unistd.h>

int main(void)
{
	static const char ok[] = "ia32\n";

	return write(STDOUT_FILENO, ok, sizeof(ok) - 1) == sizeof(ok) - 1 ? 0 : 1;
}
