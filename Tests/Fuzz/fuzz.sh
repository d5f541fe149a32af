#!/bin/sh
# fuzz.sh: runs the libFuzzer targets of the SedgateFuzz binary (built by `make fuzz`) and prints, per target, its
# run time, executions, corpus size and findings. Each target gets its own scratch corpus in .build/fuzz/corpus/
# (seeded from Tests/Fuzz/corpus/, never written back to the repository), its findings in
# .build/fuzz/artifacts/<target>/ and its log in .build/fuzz/logs/<target>.log.
#
# Usage: Tests/Fuzz/fuzz.sh BINARY TARGET...    (environment: FUZZ_SECONDS, FUZZ_JOBS, FUZZ_TIMEOUT, FUZZ_RSS_MB)
# A finding stops its target (libFuzzer's default) and makes the script exit 1 once every target has run.
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
    artifacts=$work/artifacts/$target
    log=$work/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$work/logs"
    cp -n "$here/corpus/$target"/* "$corpus"/ 2>/dev/null || true
    dict=""
    [ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
    start=$(date +%s)
    SEDGATE_FUZZ_TARGET=$target SEDGATE_FUZZ_SEEDS=$corpus nice -n 19 "$binary" \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" -malloc_limit_mb="$rss" \
        -print_final_stats=1 -artifact_prefix="$artifacts/" $dict "$corpus" >"$log" 2>&1 || true
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
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(ls "$work/corpus/$target" | wc -l)
    findings=$(ls "$work/artifacts/$target" | grep -E '^(crash|leak|timeout|oom)-' | tr '\n' ' ' || true)
    if [ -z "$runs" ] && [ -z "$findings" ]; then findings="did not run: see $log"; fi
    [ -n "$findings" ] && status=1
    printf '%-9s %8s %12s %8s %7s  %s\n' "$target" "$(cat "$work/logs/$target.seconds")" "${runs:-?}" \
        "${rate:-?}" "$corpus" "${findings:-none}"
done
exit $status
