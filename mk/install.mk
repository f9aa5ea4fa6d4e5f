# make install / make uninstall (included by the Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc] [BINDIR= SBINDIR= MANDIR=]
#
# Installs the binaries, the systemd unit (paths rewritten for PREFIX and
# SYSCONFDIR), sysusers.d and tmpfiles.d files, the udev rules and modprobe
# blacklist for USB readers, man pages, bash completion, the documentation,
# and the default configuration and follow-up message template -- only when
# there are none yet: an existing $(SYSCONFDIR)/tapmeet/tapmeetd.conf or
# followup.txt is never overwritten.
#
# With DESTDIR empty (a live install, as root) it then creates the user and
# groups (systemd-sysusers), the state directory (systemd-tmpfiles), gives the
# config to group tapmeet, and reloads udev and systemd. It does not enable or
# start the service: `systemctl enable --now tapmeetd`.
#
# Directories follow pkg-config systemd when PREFIX=/usr (Debian bookworm:
# units in /lib/systemd/system) and $(PREFIX)/lib/... otherwise; every one
# can be overridden on the command line.

ifeq ($(PREFIX),/usr)
SYSTEMDUNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR    ?= $(or $(shell $(PKG_CONFIG) --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
TMPFILESDIR    ?= $(or $(shell $(PKG_CONFIG) --variable=tmpfilesdir systemd 2>/dev/null),/usr/lib/tmpfiles.d)
UDEVRULESDIR   ?= $(or $(shell $(PKG_CONFIG) --variable=udevdir udev 2>/dev/null),/lib/udev)/rules.d
MODPROBEDIR    ?= /lib/modprobe.d
else
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR    ?= $(PREFIX)/lib/tmpfiles.d
UDEVRULESDIR   ?= $(PREFIX)/lib/udev/rules.d
MODPROBEDIR    ?= $(PREFIX)/lib/modprobe.d
endif
DATADIR        ?= $(PREFIX)/share
DOCDIR         ?= $(DATADIR)/doc/tapmeet
BASHCOMPDIR    ?= $(DATADIR)/bash-completion/completions
CONFDIR         = $(SYSCONFDIR)/tapmeet
STATEDIR        = $(LOCALSTATEDIR)/lib/tapmeet

INSTALL        ?= install
# Man pages by section: docs/man/NAME.SECTION -> $(MANDIR)/manSECTION/.
MAN_PAGES       = $(wildcard docs/man/*.[1-8])
DOCS            = $(wildcard README.md docs/*.md)

# The unit, sysusers and tmpfiles sources say /usr/sbin, /etc/tapmeet,
# /var/lib/tapmeet and /usr/share/doc/tapmeet (the Debian layout).
SUBST = sed -e 's|/usr/sbin/tapmeetd|$(SBINDIR)/tapmeetd|g' \
	    -e 's|/etc/tapmeet|$(CONFDIR)|g' \
	    -e 's|/var/lib/tapmeet|$(STATEDIR)|g' \
	    -e 's|/usr/share/doc/tapmeet|$(DOCDIR)|g'

install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(CONFDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(MODPROBEDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(BUILD)/tapmeetd $(DESTDIR)$(SBINDIR)/tapmeetd
	$(INSTALL) -m 0755 $(BUILD)/tapmeet $(DESTDIR)$(BINDIR)/tapmeet
	$(SUBST) systemd/tapmeetd.service >$(DESTDIR)$(SYSTEMDUNITDIR)/tapmeetd.service
	$(SUBST) systemd/tapmeet.sysusers >$(DESTDIR)$(SYSUSERSDIR)/tapmeet.conf
	$(SUBST) systemd/tapmeet.tmpfiles >$(DESTDIR)$(TMPFILESDIR)/tapmeet.conf
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/tapmeetd.service \
		$(DESTDIR)$(SYSUSERSDIR)/tapmeet.conf $(DESTDIR)$(TMPFILESDIR)/tapmeet.conf
	$(INSTALL) -m 0644 packaging/udev/94-tapmeet.rules $(DESTDIR)$(UDEVRULESDIR)/94-tapmeet.rules
	$(INSTALL) -m 0644 packaging/modprobe/tapmeet-blacklist-nfc.conf \
		$(DESTDIR)$(MODPROBEDIR)/tapmeet-blacklist-nfc.conf
	$(INSTALL) -m 0644 contrib/bash-completion/tapmeet $(DESTDIR)$(BASHCOMPDIR)/tapmeet
	@set -e; for m in $(MAN_PAGES); do \
		s=$${m##*.}; \
		echo "$(INSTALL) -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}"; \
		$(INSTALL) -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done
	$(if $(DOCS),$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/)
	@# 0640: the config may hold [privacy] uid_key; tapmeetd and staff read it
	@# through group tapmeet.
	@if [ -e $(DESTDIR)$(CONFDIR)/tapmeetd.conf ]; then \
		echo "keeping existing $(DESTDIR)$(CONFDIR)/tapmeetd.conf"; \
	else \
		echo "$(INSTALL) -m 0640 etc/tapmeetd.conf $(DESTDIR)$(CONFDIR)/tapmeetd.conf"; \
		$(INSTALL) -m 0640 etc/tapmeetd.conf $(DESTDIR)$(CONFDIR)/tapmeetd.conf; \
	fi
	@# The follow-up template is the organizer's to edit: kept like the config.
	@if [ -e $(DESTDIR)$(CONFDIR)/followup.txt ]; then \
		echo "keeping existing $(DESTDIR)$(CONFDIR)/followup.txt"; \
	else \
		echo "$(INSTALL) -m 0644 etc/followup.txt $(DESTDIR)$(CONFDIR)/followup.txt"; \
		$(INSTALL) -m 0644 etc/followup.txt $(DESTDIR)$(CONFDIR)/followup.txt; \
	fi
ifeq ($(DESTDIR),)
	@# A live install: the user, groups and directories now, not at the next boot.
	@if [ "$$(id -u)" = 0 ]; then \
		if command -v systemd-sysusers >/dev/null; then \
			echo "systemd-sysusers $(SYSUSERSDIR)/tapmeet.conf"; \
			systemd-sysusers $(SYSUSERSDIR)/tapmeet.conf; fi; \
		if command -v systemd-tmpfiles >/dev/null; then \
			echo "systemd-tmpfiles --create $(TMPFILESDIR)/tapmeet.conf"; \
			systemd-tmpfiles --create $(TMPFILESDIR)/tapmeet.conf; fi; \
		if getent group tapmeet >/dev/null; then chgrp tapmeet $(CONFDIR)/tapmeetd.conf; \
		else echo "warning: no group tapmeet: $(CONFDIR)/tapmeetd.conf must be readable by tapmeetd" >&2; fi; \
		if [ -d /run/udev ] && command -v udevadm >/dev/null; then \
			udevadm control --reload || true; \
			udevadm trigger --action=change --subsystem-match=usb --subsystem-match=gpio \
				--subsystem-match=i2c-dev --subsystem-match=spidev || true; fi; \
		if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi; \
		echo "installed; start with: systemctl enable --now tapmeetd"; \
	else \
		echo "not root: run systemd-sysusers and systemd-tmpfiles --create yourself"; \
	fi
endif

# Leaves the configuration, the database ($(STATEDIR)) and the user in place.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tapmeetd $(DESTDIR)$(BINDIR)/tapmeet \
		$(DESTDIR)$(SYSTEMDUNITDIR)/tapmeetd.service \
		$(DESTDIR)$(SYSUSERSDIR)/tapmeet.conf $(DESTDIR)$(TMPFILESDIR)/tapmeet.conf \
		$(DESTDIR)$(UDEVRULESDIR)/94-tapmeet.rules \
		$(DESTDIR)$(MODPROBEDIR)/tapmeet-blacklist-nfc.conf \
		$(DESTDIR)$(BASHCOMPDIR)/tapmeet \
		$(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(foreach d,$(DOCS),$(DESTDIR)$(DOCDIR)/$(notdir $(d)))
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
ifeq ($(DESTDIR),)
	@if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
endif
	@echo "kept $(DESTDIR)$(CONFDIR) and $(DESTDIR)$(STATEDIR) (configuration, database) and the user tapmeet"

.PHONY: install uninstall
