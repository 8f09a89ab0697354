# SPDX-License-Identifier: GPL-2.0
# msgq: kernel module (Kbuild), libmsgq (lib/), selftests (selftests/).
#   make [all]     module + lib + selftests, for the running kernel (KDIR)
#   make check     every test, in QEMU guests (scripts/check.sh)
#   make demo      the demo program in a QEMU guest
#   make bench     the benchmark in a QEMU guest (build/bench/, README)
#   make examples  build/examples/*, static (make check runs epoll_loop)
KDIR ?= /lib/modules/$(shell uname -r)/build
BUILD := $(CURDIR)/build
DEMO_BIN := $(BUILD)/demo/bin/msgq-demo

.PHONY: all module lib kselftest selftests clean check demo deps examples

all: module lib selftests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lib:
	@if [ -f lib/Makefile ]; then $(MAKE) -C lib; \
	else echo "lib: no lib/Makefile yet, skipped"; fi

kselftest:
	scripts/kselftest.sh $(BUILD)/kselftest

selftests: lib kselftest
	$(MAKE) -C selftests

deps:
	scripts/deps.sh

check:
	scripts/check.sh

$(DEMO_BIN): examples/demo.c lib
	mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -D_GNU_SOURCE -I uapi -I lib -I lib/include examples/demo.c \
		lib/libmsgq.a -lpthread -o $@

# Every examples/*.c but the demo, static for the VM (like the demo).
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,\
	$(filter-out examples/demo.c,$(wildcard examples/*.c)))
examples: lib
	$(MAKE) $(EXAMPLES)
$(BUILD)/examples/%: examples/%.c lib/libmsgq.a
	mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -D_GNU_SOURCE -I uapi -I lib -I lib/include $< \
		lib/libmsgq.a -lpthread -o $@

demo: deps
	$(MAKE) lib
	$(MAKE) $(DEMO_BIN)
	scripts/demo.sh

# The benchmark (bench/msgq-bench.c), static for the VM: make bench runs it
# there (scripts/bench.sh), make check its smoke run.
BENCH_BIN := $(BUILD)/bench/payload/bin/msgq-bench
.PHONY: bench bench-bin
bench-bin: lib
	$(MAKE) $(BENCH_BIN)
$(BENCH_BIN): bench/msgq-bench.c lib/libmsgq.a lib/include/msgq.h uapi/msgq.h
	mkdir -p $(dir $@)
	$(CC) -static -O2 -std=c11 -Wall -Wextra -I lib/include $< \
		lib/libmsgq.a -lpthread -lm -o $@
bench: deps
	$(MAKE) bench-bin
	scripts/bench.sh

clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; \
	else rm -f *.ko *.o *.mod *.mod.c .*.cmd module/*.o module/.*.cmd \
		modules.order Module.symvers; fi
	if [ -f lib/Makefile ]; then $(MAKE) -C lib clean; fi
	if [ -f $(BUILD)/kselftest/lib.mk ]; then $(MAKE) -C selftests clean; fi
	rm -f selftests/*_test
	rm -rf $(BUILD)
