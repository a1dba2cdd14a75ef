#!/bin/sh
# Runs every fuzz target for SECONDS each from its committed seeds
# (tests/fuzz/corpus/<x>, read-only here) plus what earlier runs found
# ($OUT/corpus/<x>, where new inputs go), with its dictionary if there is
# one; prints the executions of each and a summary, exits 1 on any crash.
#   run.sh SECONDS OUT NAME...
set -u

secs=$1
out=$2
shift 2
dir=$(dirname "$0")
total=0
targets=0
failed=0
for name in "$@"; do
	bin="$out/fuzz_$name"
	work="$out/corpus/$name"
	log="$out/log/$name.log"
	mkdir -p "$work" "$out/crashes" "$out/log"
	set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$name-"
	[ -f "$dir/$name.dict" ] && set -- "$@" -dict="$dir/$name.dict"
	[ -f "$dir/$name.options" ] && set -- "$@" $(cat "$dir/$name.options")
	"$bin" "$@" "$work" "$dir/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
	corpus=$(ls "$work" "$dir/corpus/$name" 2>/dev/null | grep -vc ':$')
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz: $name: FAILED (exit $rc) after ${runs:-?} executions; see $log"
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/fuzz:   /'
		ls "$out/crashes/$name-"* 2>/dev/null | sed 's/^/fuzz:   input: /'
	else
		echo "fuzz: $name: ${runs:-0} executions in ${secs} s, coverage ${cov:-?} edges, corpus $corpus"
	fi
	total=$((total + ${runs:-0}))
	targets=$((targets + 1))
done
echo "fuzz: $targets targets, $total executions, $failed crashed"
[ "$failed" -eq 0 ]
