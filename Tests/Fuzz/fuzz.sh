#!/bin/sh
# fuzz.sh: runs the libFuzzer targets of the SedgateFuzz binary (built by `make fuzz`) and prints, per target, its
# run time, executions, corpus size and findings. Each target gets its own scratch corpus in .build/fuzz/corpus/
# (seeded from Tests/Fuzz/corpus/ and regressions/, never written back to the repository), its findings in
# .build/fuzz/findings/<target>/ and its log in .build/fuzz/logs/<target>.log.
#
# Usage: Tests/Fuzz/fuzz.sh BINARY TARGET...    (environment: FUZZ_SECONDS, FUZZ_JOBS, FUZZ_TIMEOUT, FUZZ_RSS_MB)
# libFuzzer runs in fork mode (-fork=1) and goes on after a finding, so one run collects every finding of its time;
# any finding makes the script exit 1 once every target has run.
set -eu

binary=$1
shift
seconds=${FUZZ_SECONDS:-1800}
jobs=${FUZZ_JOBS:-1}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
here=$(dirname "$0")
work=.build/fuzz

# One target: seed the scratch corpus, run libFuzzer under nice, keep the log.
run_one() {
    target=$1
    corpus=$work/corpus/$target
    artifacts=$work/findings/$target
    log=$work/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$work/logs"
    # The reproducers of past findings go in too, so every run checks their fixes still hold.
    cp -n "$here/corpus/$target"/* "$here/regressions/$target"/* "$corpus"/ 2>/dev/null || true
    dict=""
    [ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
    # TOMLKit leaks on every parse (see lsan.supp): a leak check after each input would only slow the target.
    leaks=1
    [ "$target" = toml ] && leaks=0
    touch "$work/logs/$target.start"
    start=$(date +%s)
    SEDGATE_FUZZ_TARGET=$target SEDGATE_FUZZ_SEEDS=$corpus LSAN_OPTIONS=suppressions=$here/lsan.supp SWIFT_BACKTRACE=enable=no \
        nice -n 19 "$binary" \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" -malloc_limit_mb="$rss" \
        -detect_leaks=$leaks -print_final_stats=1 -artifact_prefix="$artifacts/" $dict "$corpus" >"$log" 2>&1 || true
    echo $(($(date +%s) - start)) >"$work/logs/$target.seconds"
}

if [ "${1:-}" = "--one" ]; then
    run_one "$2"
    exit 0
fi

printf '%s\n' "$@" | xargs -P "$jobs" -I{} env FUZZ_SECONDS="$seconds" FUZZ_TIMEOUT="$timeout" FUZZ_RSS_MB="$rss" \
    "$0" "$binary" --one {}

status=0
printf '%-9s %8s %12s %8s %7s  %s\n' target seconds executions execs/s corpus findings
for target in "$@"; do
    log=$work/logs/$target.log
    # The fork-mode parent's last status line: "#<executions>: cov: ... time: <s>s job: ...".
    runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
    seconds_run=$(cat "$work/logs/$target.seconds")
    rate=$([ -n "$runs" ] && echo $((runs / (seconds_run > 0 ? seconds_run : 1))) || true)
    corpus=$(ls "$work/corpus/$target" | wc -l)
    findings=""
    for kind in crash leak timeout oom; do
        # Only this run's: the folder keeps the findings of earlier runs.
        count=$(find "$work/findings/$target" -name "$kind-*" -newer "$work/logs/$target.start" | wc -l)
        [ "$count" -gt 0 ] && findings="$findings$count $kind "
    done
    if [ -z "$runs" ] && [ -z "$findings" ]; then findings="did not run: see $log"; fi
    [ -n "$findings" ] && status=1
    printf '%-9s %8s %12s %8s %7s  %s\n' "$target" "$seconds_run" "${runs:-?}" \
        "${rate:-?}" "$corpus" "${findings:-none}"
done
exit $status
