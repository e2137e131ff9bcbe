#!/usr/bin/env bash
# Reproducible comparison of lessor with ISC Kea 2.2 (kea-dhcp4/kea-dhcp6 with
# the lease_cmds hook) over the UNIX control socket, measured with leasebench.
#
#   bench/compare.sh quick   # a few minutes: small n, one repetition, scale to 100k
#   bench/compare.sh full    # long: n=20000 (5000 durable), 3 repetitions, scale to 1M
#   N=10000 REPS=2 bench/compare.sh full          # shorter full run
#   SCALE="10000 100000 1000000 10000000" bench/compare.sh full   # scale to 10M
#
# Both servers read the same Kea configuration (only socket and lease file
# names differ), memfile with persist true, lfc-interval 0, logging at WARN
# to a file. Servers are started fresh for every measurement and alternated
# (kea first in odd repetitions, lessor first in even ones) so that both see
# the same machine load; leasebench -calibrate brackets the run.
#
# Output: docs/performance.md (the part between the GENERATED markers),
# docs/img/*.png, and every raw RESULT line in $WORK/results.txt (copied to
# docs/perf-results.txt).
set -euo pipefail

mode=${1:-quick}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/tmp/lessor-bench}
lb_src=${LEASEBENCH_SRC:-/work/shared/tools/leasebench}
kea4=${KEA_DHCP4:-/usr/sbin/kea-dhcp4}
kea6=${KEA_DHCP6:-/usr/sbin/kea-dhcp6}
hook=${KEA_HOOK:-/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so}

case $mode in
quick) n=2000 dur_n=500 reps=1 scale="10000 100000" page_n=100000 all_n=100000 scale_ops=2000 ;;
full) n=20000 dur_n=5000 reps=3 scale="10000 100000 1000000" page_n=1000000 all_n=100000 scale_ops=10000 ;;
*)
	echo "usage: $0 quick|full" >&2
	exit 2
	;;
esac
scale=${SCALE:-$scale}
reps=${REPS:-$reps}
n=${N:-$n}
dur_n=${DUR_N:-$dur_n}

# SECTIONS selects what runs; with KEEP=1 earlier results are kept and the
# report covers them too (e.g. to redo one section).
sections=${SECTIONS:-ops durable scale}
mkdir -p "$work/csv" "$work/run" "$root/docs/img"
[ "${KEEP:-0}" = 1 ] || rm -f "$work/results.txt" "$work/commands.txt" "$work/log.txt"
results=$work/results.txt
export KEA_PIDFILE_DIR=$work/run KEA_LOCKFILE_DIR=$work/run

echo "== building lessor and leasebench"
(cd "$root" && go build -o "$work/lessor" ./cmd/lessor)
go -C "$lb_src" build -o "$work/leasebench" .
command -v gnuplot >/dev/null || apt-get install -y gnuplot-nox >/dev/null

# conf SERVER FAMILY [durable]: writes a Kea configuration for one server
# and prints its path. The lease file is $work/run/SERVER-FAMILY.csv.
conf() {
	local srv=$1 fam=$2 durable=${3:-false} f=$work/run/$1-$2.json subnet
	local extra=""
	if [ "$fam" = 4 ]; then
		subnet='"subnet4": [ { "id": 1, "subnet": "10.0.0.0/8" } ]'
	else
		subnet='"subnet6": [ { "id": 1, "subnet": "2001:db8::/32" } ]'
		# The server DUID file goes to the data directory.
		extra="
  \"data-directory\": \"$work/run\","
	fi
	cat >"$f" <<EOF
{ "Dhcp$fam": {
  "interfaces-config": { "interfaces": [] },
  "control-socket": { "socket-type": "unix", "socket-name": "$work/run/$srv-$fam.sock" },
  "lease-database": { "type": "memfile", "name": "$work/run/$srv-$fam.csv", "persist": true, "lfc-interval": 0 },
  "hooks-libraries": [ { "library": "$hook" } ],
  "valid-lifetime": 86400,$extra
  "user-context": { "lessor": { "durable": $durable } },
  $subnet,
  "loggers": [ { "name": "kea-dhcp$fam", "output_options": [ { "output": "$work/run/$srv-$fam.log" } ], "severity": "WARN" } ]
} }
EOF
	echo "$f"
}

# srvcmd SERVER FAMILY CONF: the server's command line.
srvcmd() {
	case $1 in
	kea) if [ "$2" = 4 ]; then echo "$kea4 -c $3"; else echo "$kea6 -c $3"; fi ;;
	*) echo "$work/lessor -c $3" ;;
	esac
}

# lb ARGS...: runs leasebench, keeps its RESULT lines and the command line.
lb() {
	echo "leasebench $*" | sed "s|$work|\$WORK|g" >>"$work/commands.txt"
	"$work/leasebench" "$@" 2>>"$work/log.txt" | tee -a "$work/log.txt" | { grep '^RESULT' || true; } >>"$results" ||
		echo "leasebench failed (see $work/log.txt): $*" >&2
}

# order REP: the servers in the order of repetition REP.
order() { if [ $(($1 % 2)) = 1 ]; then echo "kea lessor"; else echo "lessor kea"; fi; }

sock() { echo "$work/run/$1-$2.sock"; }

lb -calibrate -ops none -socket /nonexistent -tag run

has() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }

has ops && echo "== command throughput and server CPU per command (n=$n, $reps repetitions)"
has ops && for rep in $(seq 1 "$reps"); do
	for fam in 4 6; do
		for c in 1 4; do
			for srv in $(order "$rep"); do
				cf=$(conf "$srv" "$fam")
				rm -f "$work/run/$srv-$fam.csv"*
				# shellcheck disable=SC2046
				lb -exec -socket "$(sock "$srv" "$fam")" -family "$fam" -n "$n" -c "$c" \
					-ops add,get,get-id,update,del -tag "ops:$srv" \
					-server-output "$work/run/$srv-$fam.out" -- $(srvcmd "$srv" "$fam" "$cf")
			done
		done
	done
done

has durable && echo "== power-loss durability: lessor durable against Kea (v4, n=$dur_n)"
has durable && for rep in $(seq 1 "$reps"); do
	for c in 1 4; do
		for srv in $(order "$rep"); do
			durable=false
			[ "$srv" = lessor ] && durable=true
			cf=$(conf "$srv" 4 "$durable")
			rm -f "$work/run/$srv-4.csv"*
			# shellcheck disable=SC2046
			lb -exec -socket "$(sock "$srv" 4)" -family 4 -n "$dur_n" -c "$c" \
				-ops add,update,del -tag "durable:$srv" \
				-server-output "$work/run/$srv-4.out" -- $(srvcmd "$srv" 4 "$cf")
		done
	done
done

# status_kb PID FIELD: a /proc/PID/status field in KiB.
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# stop PID: SIGTERM a server started here and wait for it to exit.
stop() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 1 600); do
		[ -e "/proc/$1" ] || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

has scale && echo "== scale: start-up, memory and cost per command against lease count (v4: $scale)"
has scale && for fam in 4; do
	# RSS of each server holding no leases.
	declare -A empty
	for srv in kea lessor; do
		cf=$(conf "$srv" "$fam")
		rm -f "$work/run/$srv-$fam.csv"*
		out=$("$work/leasebench" -exec -socket "$(sock "$srv" "$fam")" -family "$fam" -ops none \
			-server-output "$work/run/$srv-$fam.out" -- $(srvcmd "$srv" "$fam" "$cf") 2>>"$work/log.txt")
		empty[$srv]=$(echo "$out" | sed -n 's/^RESULT op=startup.* rss_kb=\([0-9]*\).*/\1/p')
		echo "RESULT op=empty family=$fam rss_kb=${empty[$srv]} tag=empty:$srv" >>"$results"
	done
	for leases in $scale; do
		csv=$work/csv/v$fam-$leases.csv
		[ -s "$csv" ] || "$work/leasebench" -family "$fam" -gen-csv "$leases" "$csv"
		ops=get,update,del,add
		[ "$leases" = "$page_n" ] && ops=$ops,get-page
		# get-id last: Kea 2.2 was seen to exit part way through it.
		ops=$ops,get-id
		for srv in $(order 1); do
			cf=$(conf "$srv" "$fam")
			rm -f "$work/run/$srv-$fam.csv"*
			cp "$csv" "$work/run/$srv-$fam.csv"
			sk=$(sock "$srv" "$fam")
			lb -exec -keep -socket "$sk" -family "$fam" -n "$scale_ops" -random -preloaded "$leases" \
				-rss-empty "${empty[$srv]}" -ops "$ops" -tag "scale-$leases:$srv" \
				-server-output "$work/run/$srv-$fam.out" -- $(srvcmd "$srv" "$fam" "$cf")
			pid=$(sed -n 's/^server left running, pid \([0-9]*\)$/\1/p' "$work/log.txt" | tail -1)
			if [ -z "$pid" ] || [ ! -e "/proc/$pid" ]; then
				echo "server $srv is not running any more (see $work/run/$srv-$fam.out)" >&2
				echo "RESULT op=exited family=$fam leases=$leases tag=scale-$leases:$srv" >>"$results"
				continue
			fi
			if [ "$leases" = "$all_n" ]; then
				# Reset the peak RSS (VmHWM) so that it measures this phase only.
				echo 5 >"/proc/$pid/clear_refs"
				before=$(status_kb "$pid" VmRSS)
				lb -pid "$pid" -socket "$sk" -family "$fam" -preloaded "$leases" -rss-empty "${empty[$srv]}" \
					-ops get-all -tag "scale-$leases:$srv"
				hwm=$(status_kb "$pid" VmHWM)
				echo "RESULT op=get-all-mem family=$fam leases=$leases rss_before_kb=$before hwm_kb=$hwm growth_kb=$((hwm - before)) tag=scale-$leases:$srv" >>"$results"
			fi
			stop "$pid"
		done
	done
done

lb -calibrate -ops none -socket /nonexistent -tag run-end

echo "== report"
(cd "$root" && go run ./bench/report -results "$results" -commands "$work/commands.txt" \
	-mode "$mode (N=$n DUR_N=$dur_n REPS=$reps SCALE=\"$scale\")" -doc docs/performance.md -img docs/img -work "$work/plot")
cp "$results" "$root/docs/perf-results.txt"
echo "done: $root/docs/performance.md (raw results: docs/perf-results.txt)"
