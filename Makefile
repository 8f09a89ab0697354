# SPDX-License-Identifier: GPL-2.0
# msgq: kernel module (Kbuild), libmsgq (lib/), selftests (selftests/).
#   make [all]     module + lib + msgq CLI + selftests, for the running kernel
#   make check     every test, in QEMU guests (scripts/check.sh)
#   make demo      the demo program in a QEMU guest
#   make bench     the benchmark in a QEMU guest (build/bench/, README)
#   make examples  build/examples/*, static (make check runs them all)
#   make install   module, libmsgq, headers, msgq CLI, man pages, udev rule,
#                  msgq-bridge and its systemd unit (with libnats-dev)
#   make dkms-install   the module through DKMS instead (README)
#   make install-python the msgq Python package (python/, README)
#   make bench-python   msgq from Python against multiprocessing and sysv_ipc, in the Debian guest
#   make bench-bridge   msgq-bridge A->B against the NATS C client directly, in the Debian guest
KDIR ?= /lib/modules/$(shell uname -r)/build
BUILD := $(CURDIR)/build
DEMO_BIN := $(BUILD)/demo/bin/msgq-demo

.PHONY: all module lib tools kselftest selftests clean check demo deps examples

all: module lib tools selftests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lib:
	@if [ -f lib/Makefile ]; then $(MAKE) -C lib; \
	else echo "lib: no lib/Makefile yet, skipped"; fi

tools: lib
	$(MAKE) -C tools

kselftest:
	scripts/kselftest.sh $(BUILD)/kselftest

selftests: lib kselftest
	$(MAKE) -C selftests

deps:
	scripts/deps.sh

check:
	scripts/check.sh

# ---- install (PREFIX, DESTDIR; GNU directory names may be overridden) ----
# VERSION is the one version of msgq: MODULE_VERSION (Kbuild), dkms.conf,
# libmsgq.pc, msgq --version.
VERSION := $(shell cat $(CURDIR)/VERSION)
PREFIX ?= /usr/local
prefix ?= $(PREFIX)
bindir ?= $(prefix)/bin
mandir ?= $(prefix)/share/man
udevrulesdir ?= $(prefix)/lib/udev/rules.d
modulesloaddir ?= $(prefix)/lib/modules-load.d
DKMS_SRC ?= /usr/src/msgq-$(VERSION)
# The release of the kernel KDIR is for (where install-module puts msgq.ko).
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# Distribution headers carry no signing key: do not try to sign with it.
MOD_SIGN := $(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)
# BRIDGE=no: no msgq-bridge (debian/rules: no package carries it yet).
MAN_PAGES := $(filter-out $(if $(filter no,$(BRIDGE)),man/man8/msgq-bridge.8), \
	$(wildcard man/man[1-8]/*.[1-8]))
INSTALL ?= install

.PHONY: install install-module install-user install-modules-load uninstall install-bridge \
	dkms-source dkms-build dkms-install dkms-uninstall

install: install-module install-user

# msgq.ko into $(DESTDIR)/lib/modules/KVER/extra/ (compressed, and signed
# when KDIR has its signing key, as its configuration says), then depmod
# when installing for real.
install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=extra $(MOD_SIGN) modules_install
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

# Everything but the module: for machines that get it through DKMS.
install-user: lib tools
	$(MAKE) -C lib install
	$(MAKE) -C tools install
	$(MAKE) install-bridge
	$(INSTALL) -d $(DESTDIR)$(udevrulesdir)
	$(INSTALL) -m 644 packaging/60-msgq.rules $(DESTDIR)$(udevrulesdir)/
	for f in $(MAN_PAGES); do \
		d=$(DESTDIR)$(mandir)/man$${f##*.}; \
		$(INSTALL) -d $$d && $(INSTALL) -m 644 $$f $$d/ || exit 1; \
	done
	if [ -z "$(DESTDIR)" ]; then ldconfig; \
		udevadm control --reload-rules 2>/dev/null || true; fi

# msgq-bridge (bridge/) and its systemd unit, when the NATS C client is
# there to build it with (libnats-dev) and not BRIDGE=no; otherwise said
# and skipped.
install-bridge:
	@if [ "$(BRIDGE)" = no ]; then echo "install: BRIDGE=no: msgq-bridge skipped"; \
	elif pkg-config --exists libnats 2>/dev/null; then \
		$(MAKE) -C bridge bridge install; \
	else echo "install: no libnats (libnats-dev): msgq-bridge skipped"; fi

# Optional: load msgq at boot (systemd-modules-load).
install-modules-load:
	$(INSTALL) -d $(DESTDIR)$(modulesloaddir)
	$(INSTALL) -m 644 packaging/modules-load.conf \
		$(DESTDIR)$(modulesloaddir)/msgq.conf

uninstall: uninstall-python
	$(MAKE) -C lib uninstall
	$(MAKE) -C tools uninstall
	$(MAKE) -C bridge uninstall
	rm -f $(DESTDIR)$(udevrulesdir)/60-msgq.rules \
	      $(DESTDIR)$(modulesloaddir)/msgq.conf \
	      $(foreach f,$(MAN_PAGES),$(DESTDIR)$(mandir)/man$(subst .,,$(suffix $(f)))/$(notdir $(f)))
	rm -f $(DESTDIR)/lib/modules/$(KVER)/extra/msgq.ko*
	if [ -z "$(DESTDIR)" ]; then ldconfig; depmod -a $(KVER); fi

# The Python package (python/: the C extension msgq._msgq over libmsgq.a,
# and msgq/), built with the distribution's setuptools, offline, in
# $(BUILD)/python. pythondir is Debian's layout for the prefix
# (python/install-dir.py): /usr/local/lib/python3.X/dist-packages for
# /usr/local, /usr/lib/python3/dist-packages for PREFIX=/usr.
PYTHON ?= python3
pythondir ?= $(shell $(PYTHON) $(CURDIR)/python/install-dir.py $(prefix))
PY_SETUP := cd python && $(PYTHON) setup.py -q
.PHONY: python install-python uninstall-python
python: lib
	$(PY_SETUP) build --build-base $(BUILD)/python \
		egg_info --egg-base $(BUILD)/python
install-python: python
	$(PY_SETUP) build --build-base $(BUILD)/python \
		egg_info --egg-base $(BUILD)/python \
		install --skip-build --root=$(or $(DESTDIR),/) \
		--prefix=$(prefix) --install-lib=$(pythondir)
uninstall-python:
	d='$(DESTDIR)$(pythondir)'; if [ -n '$(pythondir)' ]; then \
		rm -rf "$$d/msgq" "$$d"/msgq-*.egg-info; fi

# python/bench.py in the Debian guest (scripts/bench-python.sh).
.PHONY: bench-python
bench-python: deps
	scripts/bench-python.sh

# msgq-bridge's benchmark in the Debian guest (scripts/bench-bridge.sh).
.PHONY: bench-bridge
bench-bridge: deps
	scripts/bench-bridge.sh

# The DKMS source tree: Kbuild, VERSION, module/, uapi/, dkms.conf.
dkms-source:
	rm -rf $(DESTDIR)$(DKMS_SRC)/module $(DESTDIR)$(DKMS_SRC)/uapi
	$(INSTALL) -d $(DESTDIR)$(DKMS_SRC)/module $(DESTDIR)$(DKMS_SRC)/uapi
	$(INSTALL) -m 644 Kbuild VERSION $(DESTDIR)$(DKMS_SRC)/
	$(INSTALL) -m 644 $(wildcard module/*.[ch]) $(DESTDIR)$(DKMS_SRC)/module/
	$(INSTALL) -m 644 uapi/msgq.h $(DESTDIR)$(DKMS_SRC)/uapi/
	sed 's/@VERSION@/$(VERSION)/g' packaging/dkms.conf.in \
		>$(DESTDIR)$(DKMS_SRC)/dkms.conf

# dkms add, build (dkms-build), install (dkms-install) msgq/VERSION for
# the running kernel, or for each release in DKMS_KERNEL. A version already
# added is removed first, so the module is rebuilt from these sources.
# DKMS_FLAGS go to every dkms call (make check: scratch --dkmstree etc.).
DKMS := dkms $(DKMS_FLAGS)
DKMS_K := $(foreach k,$(DKMS_KERNEL),-k $(k))
dkms-build: dkms-source
	if [ -n "$$($(DKMS) status -m msgq -v $(VERSION))" ]; then \
		$(DKMS) remove -m msgq -v $(VERSION) --all; fi
	$(DKMS) add -m msgq -v $(VERSION)
	$(DKMS) build -m msgq -v $(VERSION) $(DKMS_K)

dkms-install: dkms-build
	$(DKMS) install -m msgq -v $(VERSION) $(DKMS_K)

dkms-uninstall:
	if [ -n "$$($(DKMS) status -m msgq -v $(VERSION))" ]; then \
		$(DKMS) remove -m msgq -v $(VERSION) --all; fi
	rm -rf $(DKMS_SRC)

$(DEMO_BIN): examples/demo.c lib
	mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -D_GNU_SOURCE -I lib/include examples/demo.c \
		lib/libmsgq.a -lpthread -o $@

# Every examples/*.c but the demo, static for the VM (like the demo).
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,\
	$(filter-out examples/demo.c,$(wildcard examples/*.c)))
examples: lib
	$(MAKE) $(EXAMPLES)
$(BUILD)/examples/%: examples/%.c lib/libmsgq.a
	mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -D_GNU_SOURCE -I lib/include $< \
		lib/libmsgq.a $(EXAMPLE_LIBS) -lpthread -o $@
# Examples that need more than libmsgq and libc.
$(BUILD)/examples/uring_echo: EXAMPLE_LIBS := -luring
# The event-loop workers (selftests/evloop_test.c runs them), built as a
# user builds them: with pkg-config, against libmsgq as make -C lib install
# lays it out (here in build/examples/usr), and each loop library's own
# pkg-config name (Debian's libuv1-dev, libevent-dev, libglib2.0-dev).
# --static for the busybox guest: Debian's static archives (libuv_a.a
# through libuv-static.pc, libevent.a, libglib-2.0.a with libpcre2-8.a).
# ld warns that getpwuid (GLib) and getaddrinfo (libevent) would need
# glibc's shared NSS modules at run time: the workers never call them.
EVLOOP_PREFIX := $(BUILD)/examples/usr
EVLOOP_PC := PKG_CONFIG_PATH=$(EVLOOP_PREFIX)/lib/pkgconfig pkg-config --static
EVLOOP := $(BUILD)/examples/libuv_worker $(BUILD)/examples/libevent_worker \
	$(BUILD)/examples/glib_worker
$(BUILD)/examples/libuv_worker: EVLOOP_PKG := libuv-static
$(BUILD)/examples/libevent_worker: EVLOOP_PKG := libevent
$(BUILD)/examples/glib_worker: EVLOOP_PKG := glib-2.0
$(EVLOOP_PREFIX)/lib/pkgconfig/libmsgq.pc: lib/libmsgq.a lib/libmsgq.pc.in \
		lib/include/msgq.h uapi/msgq.h
	$(MAKE) -C lib install prefix=$(EVLOOP_PREFIX)
$(EVLOOP): $(BUILD)/examples/%: examples/%.c \
		$(EVLOOP_PREFIX)/lib/pkgconfig/libmsgq.pc
	$(CC) -static -O2 -Wall -Wextra -Wno-unused-parameter \
		-o $@ $< $$($(EVLOOP_PC) --cflags --libs libmsgq $(EVLOOP_PKG))

demo: deps
	$(MAKE) lib
	$(MAKE) $(DEMO_BIN)
	$(MAKE) -C tools STATIC=1 OUTPUT=$(BUILD)/demo/bin
	install -m 755 tools/demo-cli.sh $(BUILD)/demo/bin/msgq-demo-cli
	scripts/demo.sh

# The benchmark (every bench/*.c, one program), static for the VM: make bench
# runs it there (scripts/bench.sh), make check its smoke run. liburing.a
# (Debian's liburing-dev) for its io_uring column (bench/mech_uring.c).
BENCH_BIN := $(BUILD)/bench/payload/bin/msgq-bench
BENCH_SRC := $(sort $(wildcard bench/*.c))
.PHONY: bench bench-bin
bench-bin: lib
	$(MAKE) $(BENCH_BIN)
# POSIX mq over msgq (bench/mech_mq_msgq.c) beside glibc's (mech_mq.c):
# libmsgq-posix.a with every symbol of its map renamed msgq_posix_NAME.
BENCH_MQ_MSGQ := $(BUILD)/bench/libmsgq-posix-renamed.a
$(BENCH_MQ_MSGQ): lib/posix/libmsgq-posix.a lib/posix/libmsgq-posix.map
	mkdir -p $(dir $@)
	sed -n 's/^[[:space:]]*\(_*mq_[a-z0-9_]*\);/\1 msgq_posix_\1/p' \
		lib/posix/libmsgq-posix.map >$@.syms
	objcopy --redefine-syms=$@.syms $< $@
$(BENCH_BIN): $(BENCH_SRC) $(wildcard bench/*.h) lib/libmsgq.a \
		$(BENCH_MQ_MSGQ) lib/include/msgq.h uapi/msgq.h
	mkdir -p $(dir $@)
	$(CC) -static -O2 -std=c11 -Wall -Wextra -I lib/include $(BENCH_SRC) \
		$(BENCH_MQ_MSGQ) lib/libmsgq.a -luring -lpthread -lm -o $@
bench: deps
	$(MAKE) bench-bin
	scripts/bench.sh

clean:
	if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; \
	else rm -f *.ko *.o *.mod *.mod.c .*.cmd module/*.o module/.*.cmd \
		modules.order Module.symvers; fi
	if [ -f lib/Makefile ]; then $(MAKE) -C lib clean; fi
	$(MAKE) -C tools clean
	if [ -f $(BUILD)/kselftest/lib.mk ]; then $(MAKE) -C selftests clean; fi
	rm -f selftests/*_test
	rm -rf selftests/m32 selftests/t64
	rm -rf $(BUILD)
