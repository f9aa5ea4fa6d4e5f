# Installation. PREFIX, DESTDIR, SYSCONFDIR honoured; the config is never overwritten.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/tapmeet
	install -m 0755 $(BUILD)/tapmeetd $(DESTDIR)$(SBINDIR)/tapmeetd
	install -m 0755 $(BUILD)/tapmeet $(DESTDIR)$(BINDIR)/tapmeet
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/tapmeet/tapmeetd.conf ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/tapmeet/tapmeetd.conf"; \
	else install -m 0644 etc/tapmeetd.conf $(DESTDIR)$(SYSCONFDIR)/tapmeet/tapmeetd.conf; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tapmeetd $(DESTDIR)$(BINDIR)/tapmeet
