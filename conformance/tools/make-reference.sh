#!/bin/sh
# Regenerates conformance/reference/ from the installed Kea 2.2:
#   reference/<dir>/<name>.txt         keadiff -v, Kea played against itself
#                                      (the target: lines, a second Kea run, left out)
#   reference/<dir>/<name>.leases.txt  tools/kea-play.py output with the lease file
#                                      after every "lease_file" step
# Run from anywhere; takes about three minutes.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
keadiff=${KEADIFF:-$HOME/bin/keadiff}
for dir in v4 v6 server; do
	mkdir -p "$here/reference/$dir"
	for f in "$here/$dir"/*.json; do
		name=$(basename "$f" .json)
		"$keadiff" -v -target "{kea} -c {config}" "$f" 2>&1 |
			grep -av '^    target: ' >"$here/reference/$dir/$name.txt" || true
		if grep -q '"lease_file": true' "$f"; then
			python3 "$here/tools/kea-play.py" "$f" >"$here/reference/$dir/$name.leases.txt"
		else
			rm -f "$here/reference/$dir/$name.leases.txt"
		fi
	done
done
