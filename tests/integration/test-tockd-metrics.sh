#!/usr/bin/env bash
# paths.metrics_file: the textfile node_exporter reads. tockd rewrites it at most once a second,
# and a change that came within that second is written when the second is over: two runs that end
# less than a second apart both reach the file, without waiting for some later run to end (issue 9).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd metrics file"
td_require_home "tockd metrics file"

M=$T/m
MF=$T/metrics.prom
td_prepare m

# metric_is NAME LABEL VALUE: the file has NAME{...name="LABEL"...} VALUE
metric_is() { grep -qE "^$1\{.*name=\"$2\".*\} $3\$" "$MF" 2>/dev/null; }

section "1. two runs ending 0.3 s apart both reach the metrics file"
if td_start m --set paths.metrics_file="$MF"; then
        # both fire once, at the same second a few seconds from now (the table is read at once)
        read -r s mi h <<<"$(date -u -d "@$(($(date +%s) + 3))" '+%-S %-M %-H')"
        put "$M/cron.d/pair" <<EOF
[sec:$s name:quick] $mi $h * * * $ME true
[sec:$s name:slow] $mi $h * * * $ME sleep 0.3
EOF
        if wait_log 15 m "$M/cron.d/pair:2 ($ME) ended"; then
                pass "both jobs ran"
                # the quick run's end was written at once; the slow one's came 0.3 s later
                if wait_until 5 eval 'metric_is tock_job_running slow 0 && metric_is tock_job_runs_total slow 1 && metric_is tock_job_running quick 0'; then
                        pass "the metrics file shows the run that ended within a second of the last write"
                else
                        flunk "the metrics file shows the run that ended within a second of the last write" \
                                "after 5 s the file still says:"$'\n'"$(grep -E 'tock_job_(running|runs_total)\{' "$MF" 2>/dev/null)"
                fi
        else
                flunk "both jobs ran" "$(log_tail m)"
        fi
        td_stop m
fi

finish
