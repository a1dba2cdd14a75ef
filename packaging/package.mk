# sockscope — the version, the generated files that ship (man page, bash
# completion) and the Debian package. Included by the Makefile.

# debian/changelog's first line is the one place the version is written:
# the binary (--version), the man page and the package take it from there.
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

VERSION_OBJS := $(OUTPUT)/user/cmd/commands.o $(OUTPUT)/asan/user/cmd/commands.o
$(VERSION_OBJS) $(OUTPUT)/fuzz/user/cmd/commands.o: debian/changelog
$(VERSION_OBJS): CFLAGS += -DSS_VERSION='"$(VERSION)"'
$(OUTPUT)/fuzz/user/cmd/commands.o: FUZZ_CFLAGS += -DSS_VERSION='"$(VERSION)"'

# The man page with the version in its footer.
MAN_PAGE := $(OUTPUT)/sockscope.8
$(MAN_PAGE): docs/sockscope.8 debian/changelog | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)sed '1s/"sockscope [^"]*"/"sockscope $(VERSION)"/' $< > $@

# bash completion, written from the command and option tables.
COMPLETION := $(OUTPUT)/completion/sockscope
$(OUTPUT)/completion-gen: packaging/completion-gen.c $(LIB) Makefile | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDFLAGS) $(LDLIBS) -o $@

$(COMPLETION): $(OUTPUT)/completion-gen
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$< > $@

.PHONY: man completion deb deb-check
man: $(MAN_PAGE)
completion: $(COMPLETION)

# The package is built in a copy of the tree (packaging/build-deb.sh), so
# the worktree stays as it is; it lands in $(OUTPUT)/deb/.
deb:
	$(Q)sh packaging/build-deb.sh $(OUTPUT)/deb

# Build, lintian, install with apt-get, use, purge: nothing may be left.
deb-check: deb
	$(Q)bash tests/package/check.sh $(OUTPUT)/deb
