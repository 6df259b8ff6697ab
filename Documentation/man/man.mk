# SPDX-License-Identifier: MIT OR GPL-2.0
# Documentation/man/: the man pages, written in reStructuredText
# (NAME.SECTION.rst) and turned into roff by docutils' rst2man; a warning
# is an error. A page that documents a family of functions gets one .so
# link per other member, as liburing's pages do.
#
#   make man           build/man/manN/NAME.N
#   make install-man   into $(MANDIR) (make install does it)
#   the "man" check suite (scripts/check-man.sh) renders every page

MANDIR		?= $(PREFIX)/share/man
MAN_OUT		:= $(BUILD)/man
MAN_SRCS	:= $(sort $(wildcard Documentation/man/*.rst))
MAN_PAGES	:= $(foreach s,$(MAN_SRCS),$(MAN_OUT)/man$(subst .,,$(suffix $(basename $(s))))/$(basename $(notdir $(s))))
# ALIAS:PAGE, both section 3: "man ALIAS" shows PAGE.
MAN_LINKS	:= spex_close:spex_open \
		   spex_backend_name:spex_backend_of \
		   spex_uses_uring_cmd:spex_backend_of \
		   spex_load_blob:spex_load_file \
		   spex_load_file_flags:spex_load_file \
		   spex_load_blob_flags:spex_load_file \
		   spex_unload_model:spex_load_file \
		   spex_list_models:spex_describe_model \
		   spex_reap:spex_submit \
		   spex_in_flight:spex_submit \
		   spex_pattern_starts_needed:spex_pattern_edges \
		   spex_conv_mask:spex_pattern_edges
RST2MAN		?= rst2man
RST2MAN_FLAGS	:= --halt=warning --exit-status=warning --no-generator \
		   --no-datestamp --no-source-link

DEPS_GROUPS	+= man
CHECK_SUITES	+= man

.PHONY: man install-man
man: $(MAN_PAGES)

define man_section
$(MAN_OUT)/man$(1)/%.$(1): Documentation/man/%.$(1).rst
	@mkdir -p $$(@D)
	@echo "  RST2MAN $$@"
	$(Q)$(RST2MAN) $(RST2MAN_FLAGS) $$< $$@.tmp && mv $$@.tmp $$@
endef
$(foreach n,1 3 4,$(eval $(call man_section,$(n))))

install: install-man
install-man: man
	$(Q)set -e; for p in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$p)); \
		install -d $$d && install -m 0644 $$p $$d/; \
	done
	$(Q)set -e; for l in $(MAN_LINKS); do \
		echo ".so man3/$${l#*:}.3" > $(DESTDIR)$(MANDIR)/man3/$${l%%:*}.3; \
	done
