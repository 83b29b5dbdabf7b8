# The tools this package builds (sourced by the other scripts). A tool joins this list when it
# lands; the Makefile, man pages, completions and install follow from it.
LH_TOOLS="lh-gen lh-bronze lh-silver lh-gold lh-report lh-pack"
