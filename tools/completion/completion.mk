# SPDX-License-Identifier: MIT OR GPL-2.0
# tools/completion: bash completion for the tools. bash-completion loads
# a command's completion from a file named after the command, so the one
# script is installed as spexctl and linked under the other names.

COMPLETIONSDIR	?= $(PREFIX)/share/bash-completion/completions
COMPLETION_TOOLS := spex-serve spex-train spex-trace spex-bench spex-edge

.PHONY: install-completion
install: install-completion
install-completion:
	install -D -m 0644 tools/completion/spex.bash $(DESTDIR)$(COMPLETIONSDIR)/spexctl
	$(Q)set -e; for t in $(COMPLETION_TOOLS); do \
		ln -sf spexctl $(DESTDIR)$(COMPLETIONSDIR)/$$t; \
	done
