#!/bin/sh
# Runs unit-test binaries: plain, under ASan/UBSan (built so), or valgrind.
# usage: run-unit.sh plain|asan|valgrind BIN...
set -u
mode=$1
shift
failed=0
for t in "$@"; do
	case $mode in
	valgrind)
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect "$t" || failed=$((failed + 1))
		;;
	asan)
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t" || failed=$((failed + 1))
		;;
	*)
		"$t" || failed=$((failed + 1))
		;;
	esac
done
if [ "$failed" -ne 0 ]; then
	echo "unit ($mode): $failed test program(s) failed" >&2
	exit 1
fi
echo "unit ($mode): all $# test programs passed"
