# tock: one GNU Makefile. Outputs in build/.
#   make            build tockctl and tockd
#   make check      install missing build dependencies (Debian), build, run every test
#   make run        build and run on the bundled example table
#   make bench      benchmarks, with figures side by side with the peers; report and plots in build/bench
#   make bench-quick  a small run of the peers section (make check runs it)
#   make check SANITIZE=1   the same under ASan/UBSan;  WERROR=1 turns warnings into errors (CI)

VERSION  := 0.1.0
BUILD    ?= build
CC       ?= cc
PKGS     := libsystemd inih criterion
DEB_PKGS := build-essential pkg-config libsystemd-dev libinih-dev libcriterion-dev libpam0g-dev tzdata valgrind faketime busybox musl-tools nodejs systemd golang-go golang-github-robfig-cron-dev \
            libcurl4-openssl-dev libjansson-dev
# installed too when root (deps), for packaging/test-systemd.sh, which needs root anyway, and the
# .deb that make check builds for its --deb run
DEB_PKGS_ROOT := debootstrap systemd-container dpkg-dev debhelper

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
            -Wwrite-strings -Wimplicit-fallthrough -Wundef -Wvla -fno-common -fstack-protector-strong -fPIE
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -DTOCK_VERSION='"$(VERSION)"' -Icommon
ifeq ($(STATIC),1)       # make static (below): musl, everything linked in
LDFLAGS  += -static -Wl,--gc-sections -s
CFLAGS   += -ffunction-sections -fdata-sections
CPPFLAGS += -I$(BUILD)/include
else
LDFLAGS  += -pie -Wl,-z,relro,-z,now
endif
CFLAGS   += $(if $(filter 1,$(WERROR)),-Werror)
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif

COMMON_SRC := $(wildcard common/*.c)
CTL_SRC    := $(wildcard ctl/*.c)
# FLEET=1 (the default when libcurl's and jansson's headers are installed): fleet jobs claimed in
# etcd (daemon/fleet.c, daemon/etcd.c), libcurl and jansson loaded with dlopen() only when a fleet
# is configured (daemon/fleet-libs.c); FLEET=0: daemon/fleet-off.c, which refuses them
FLEET ?= $(if $(and $(wildcard /usr/include/jansson.h),$(shell pkg-config --exists libcurl 2>/dev/null && echo y)),1,0)
ifeq ($(FLEET),1)
DAEMON_SRC := $(filter-out daemon/fleet-off.c,$(wildcard daemon/*.c))
FLEET_LIBS  = -ldl
else
DAEMON_SRC := $(filter-out daemon/fleet.c daemon/fleet-config.c daemon/fleet-members.c daemon/etcd.c daemon/fleet-libs.c,$(wildcard daemon/*.c))
FLEET_LIBS  =
endif
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC   := $(wildcard tests/unit/*.c)
ifneq ($(FLEET),1)
UNIT_SRC   := $(filter-out tests/unit/test_etcd.c,$(UNIT_SRC))
endif
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
CTL_OBJ    := $(CTL_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o)

CRITERION_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS   = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

# NO_SYSTEMD=1: a build without libsystemd (static container images); sd.c becomes stubs
ifeq ($(NO_SYSTEMD),1)
DAEMON_CPPFLAGS = -DTOCK_NO_SYSTEMD
SYSTEMD_LIBS    =
else
SYSTEMD_LIBS    = $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
endif
INIH_LIBS = $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
# PAM sessions for jobs when libpam's header is there; NO_PAM=1 leaves them out (static builds)
ifeq ($(NO_PAM),1)
PAM_LIBS =
else ifneq ($(wildcard /usr/include/security/pam_appl.h),)
DAEMON_CPPFLAGS += -DTOCK_PAM
PAM_LIBS = -lpam
endif

.PHONY: all check unit corpus run bench bench-quick deps clean fuzz static
all: $(BUILD)/tockctl $(BUILD)/tockd

$(BUILD)/%.o: %.c $(wildcard common/*.h ctl/*.h daemon/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libtock.a: $(COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tockctl: $(CTL_OBJ) $(BUILD)/libtock.a
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/daemon/%.o: CPPFLAGS += -Idaemon $(DAEMON_CPPFLAGS)
$(BUILD)/tockd: $(DAEMON_OBJ) $(BUILD)/libtock.a
	$(CC) $(LDFLAGS) -o $@ $^ $(SYSTEMD_LIBS) $(INIH_LIBS) $(PAM_LIBS) $(FLEET_LIBS)

# the unit tests reach tockd's own decisions (config, admission, lookup, mail headers...) through
# its objects, all but main.o, as an archive: a test pulls in only the files it calls
DAEMON_LIB_OBJ := $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJ))
$(BUILD)/libtockd.a: $(DAEMON_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/unit/%.o: CFLAGS += $(CRITERION_CFLAGS)
$(BUILD)/tests/unit/%.o: CPPFLAGS += -Idaemon $(DAEMON_CPPFLAGS)
$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libtockd.a $(BUILD)/libtock.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CRITERION_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) $(PAM_LIBS) $(FLEET_LIBS)

$(BUILD)/bench: bench/bench.c $(BUILD)/libtock.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^

# Installs what the build and the tests need on Debian: apt-get when root, otherwise says how.
deps:
	@missing=""; for p in $(DEB_PKGS) $$([ "$$(id -u)" = 0 ] && echo $(DEB_PKGS_ROOT)); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
		else \
			echo "missing build dependencies; run: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

unit: deps $(BUILD)/unit-tests
	TOCK_CORPUS=$(CORPUS) $(BUILD)/unit-tests --jobs 2

CORPUS ?= $(abspath ../shared/corpus/crontab-lines)

check: deps
	$(MAKE) all $(BUILD)/unit-tests $(REPLAY_BINS)
	@tests/run-all.sh $(BUILD)

# Static tockd and tockctl with musl (Debian's musl-tools), without libsystemd and PAM, for
# images FROM scratch: $(BUILD)/static/tockd, $(BUILD)/static/tockctl. inih is Debian's
# libinih.a (it calls only stdio, malloc and ctype, which musl has); its header comes alone, as
# musl-gcc must not see glibc's headers.
STATIC_BUILD = $(BUILD)/static
static:
	@command -v musl-gcc >/dev/null || { echo "make static needs musl-gcc: apt-get install musl-tools"; exit 1; }
	@test -e /usr/include/ini.h || { echo "make static needs inih's header: apt-get install libinih-dev"; exit 1; }
	@mkdir -p $(STATIC_BUILD)/include && ln -sf /usr/include/ini.h $(STATIC_BUILD)/include/ini.h
	CFLAGS="-Os" $(MAKE) BUILD=$(STATIC_BUILD) CC=musl-gcc STATIC=1 NO_SYSTEMD=1 NO_PAM=1 FLEET=0 \
		INIH_LIBS=$$(pkg-config --variable=libdir inih 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)/libinih.a \
		$(STATIC_BUILD)/tockd $(STATIC_BUILD)/tockctl
	@ls -l $(STATIC_BUILD)/tockd $(STATIC_BUILD)/tockctl | awk '{ print $$5, $$9 }'

# tockd in the foreground, as you, on the example table, its state in a temp dir; Ctrl-C stops it
run: all
	$(BUILD)/tockctl check contrib/example.crontab
	$(BUILD)/tockctl next --count 5 --file contrib/example.crontab
	@state=$$(mktemp -d) && echo "state in $$state; Ctrl-C stops tockd;" \
		"in another terminal: TOCK_SOCKET=$$state/tockd.sock $(BUILD)/tockctl status" && \
	exec $(BUILD)/tockd --foreground --table contrib/example.crontab --crontab '' --cron-d '' --spool '' \
		--state-dir "$$state" --socket "$$state/tockd.sock" --log-target stderr

bench: deps $(BUILD)/bench $(BUILD)/tockctl
	@bench/run.sh $(BUILD)

# section 6 of make bench in small (one size, one burst, tockd and bcron; under 2 minutes), so
# that the harness cannot rot: make check runs it. It fails only on breakage, never on timing.
bench-quick: $(BUILD)/tockd
	@bench/peers.sh $(BUILD) --quick

clean:
	rm -rf $(BUILD)

# ---- fuzzing: tests/fuzz/README.md ----
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 600
FUZZ_JOBS    ?= 1
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)
REPLAY_BINS  := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay-%)

$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(COMMON_SRC) $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -D_GNU_SOURCE -DTOCK_VERSION='"$(VERSION)"' -Icommon $(FUZZ_DAEMON_CPPFLAGS) -o $@ $< \
		$(COMMON_SRC) $(FUZZ_DAEMON_SRC) $(FUZZ_DAEMON_LIBS)

# targets that reach into tockd name the daemon/ files they need: fuzz-config takes config.c,
# which logs through log.c and sd.c. libFuzzer's build makes sd.c stubs (no libsystemd); the
# replay links them from libtockd.a (then libtock.a again, which they call) with tockd's libraries.
FUZZ_CONFIG_SRC := daemon/config.c daemon/log.c daemon/sd.c
$(BUILD)/fuzz/fuzz-config: $(FUZZ_CONFIG_SRC) $(wildcard daemon/*.h)
$(BUILD)/fuzz/fuzz-config: FUZZ_DAEMON_CPPFLAGS = -Idaemon -DTOCK_NO_SYSTEMD
$(BUILD)/fuzz/fuzz-config: FUZZ_DAEMON_SRC = $(FUZZ_CONFIG_SRC)
$(BUILD)/fuzz/fuzz-config: FUZZ_DAEMON_LIBS = $(INIH_LIBS)
$(BUILD)/tests/fuzz/fuzz-config.o: CPPFLAGS += -Idaemon $(DAEMON_CPPFLAGS)
$(BUILD)/fuzz/replay-config: $(BUILD)/libtockd.a
$(BUILD)/fuzz/replay-config: REPLAY_DAEMON_LIBS = $(BUILD)/libtock.a $(SYSTEMD_LIBS) $(INIH_LIBS)

fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/new-$$t && \
		$(BUILD)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_TIME) -fork=$(FUZZ_JOBS) -max_len=4096 \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/new-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# replay: the same targets built with $(CC) and the usual flags (SANITIZE=1 included), plain main()
.SECONDARY: $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz-%.o) $(BUILD)/tests/fuzz/run-corpus.o
$(BUILD)/fuzz/replay-%: $(BUILD)/tests/fuzz/fuzz-%.o $(BUILD)/tests/fuzz/run-corpus.o $(BUILD)/libtock.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(REPLAY_DAEMON_LIBS)

# ---- install ----
#   make install [DESTDIR=/stage] [PREFIX=/usr] [INSTALL_CRONTAB_LINK=1]
# tockd to $(PREFIX)/sbin, tockctl to $(PREFIX)/bin (with its bash completion), the man pages,
# the systemd unit (its ExecStart= pointed at $(SBINDIR)) and, unless one is there already,
# /etc/tock/tockd.conf. $(LIBEXECDIR)/tock/tables lists the tables tockd refuses, or that Debian's
# cron would read otherwise (the package's maintainer scripts run it). INSTALL_CRONTAB_LINK=1 also
# links $(BINDIR)/crontab to tockctl: opt-in, since the link shadows cron's crontab(1) when cron
# is installed too.
PREFIX     ?= /usr
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
INSTALL    ?= install
MANPAGES   := packaging/man/tockctl.1 packaging/man/tock-crontab.5 packaging/man/tockd.conf.5 packaging/man/tockd.8

.PHONY: install uninstall
install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/tock \
		$(DESTDIR)$(LIBEXECDIR)/tock $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 755 $(BUILD)/tockctl $(DESTDIR)$(BINDIR)/tockctl
	$(INSTALL) -m 755 $(BUILD)/tockd $(DESTDIR)$(SBINDIR)/tockd
	sed -e 's|^TOCKD=.*|TOCKD=$${TOCKD:-$(SBINDIR)/tockd}|' -e 's|^TOCKCTL=.*|TOCKCTL=$${TOCKCTL:-$(BINDIR)/tockctl}|' \
		packaging/tock-tables > $(DESTDIR)$(LIBEXECDIR)/tock/tables && chmod 755 $(DESTDIR)$(LIBEXECDIR)/tock/tables
	for m in $(MANPAGES); do $(INSTALL) -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; done
	$(INSTALL) -m 644 contrib/bash-completion/tockctl $(DESTDIR)$(BASHCOMPDIR)/tockctl
	sed 's|^ExecStart=/usr/sbin/tockd|ExecStart=$(SBINDIR)/tockd|' packaging/systemd/tockd.service \
		> $(DESTDIR)$(UNITDIR)/tockd.service && chmod 644 $(DESTDIR)$(UNITDIR)/tockd.service
	test -e $(DESTDIR)$(SYSCONFDIR)/tock/tockd.conf || \
		$(INSTALL) -m 644 packaging/tockd.conf $(DESTDIR)$(SYSCONFDIR)/tock/tockd.conf
ifeq ($(INSTALL_CRONTAB_LINK),1)
	ln -sfn tockctl $(DESTDIR)$(BINDIR)/crontab
endif

# leaves /etc/tock/tockd.conf, which may hold local changes
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tockctl $(DESTDIR)$(SBINDIR)/tockd $(DESTDIR)$(UNITDIR)/tockd.service
	rm -f $(DESTDIR)$(LIBEXECDIR)/tock/tables $(DESTDIR)$(BASHCOMPDIR)/tockctl
	-rmdir $(DESTDIR)$(LIBEXECDIR)/tock 2>/dev/null
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	if [ "$$(readlink $(DESTDIR)$(BINDIR)/crontab 2>/dev/null)" = tockctl ]; then rm -f $(DESTDIR)$(BINDIR)/crontab; fi
