#!/usr/bin/env bash
# Compares lessor and Kea 2.2 over the HTTP control API (lessor's in-process
# agent against kea-ctrl-agent + kea-dhcp4) and on PostgreSQL and MySQL
# lease stores (both servers on the same database server, each on its own
# database), with leasebench, in one run. Prints RESULT lines and a table.
#   N=2000 REPS=1 bench/http_sql.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}; REPS=${REPS:-1}; C=${C:-4}
W=${WORK:-/tmp/lessor-bench-hs}; rm -rf "$W"; mkdir -p "$W"
export KEA_PIDFILE_DIR=$W KEA_LOCKFILE_DIR=$W PATH=/usr/sbin:$PATH
go build -o "$W/lessor" ./cmd/lessor
go build -o "$W/lessor-admin" ./cmd/lessor-admin
go -C "${LEASEBENCH_SRC:-../shared/tools/leasebench}" build -o "$W/leasebench" .
HOOK=$(ls /usr/lib/*/kea/hooks/libdhcp_lease_cmds.so | head -1)
OPS=add,get,update,del
conf() { # name dbjson
  cat > "$W/$1.json" <<JSON
{ "Dhcp4": { "interfaces-config": { "interfaces": [] },
  "control-socket": { "socket-type": "unix", "socket-name": "$W/$1.sock" },
  "lease-database": $2,
  "hooks-libraries": [ { "library": "$HOOK" } ],
  "valid-lifetime": 86400, "subnet4": [ { "id": 1, "subnet": "10.0.0.0/8" } ],
  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$W/$1.log" } ], "severity": "WARN" } ] } }
JSON
}
waitsock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }
out=$W/results.txt; : > "$out"
for rep in $(seq "$REPS"); do
  # HTTP: Kea's agent in front of kea-dhcp4, lessor's in-process agent.
  for srv in kea lessor; do
    conf "h-$srv" "{ \"type\": \"memfile\", \"name\": \"$W/h-$srv.csv\", \"lfc-interval\": 0 }"
    port=$((18700 + RANDOM % 200))
    cat > "$W/h-$srv-agent.json" <<JSON
{ "Control-agent": { "http-host": "127.0.0.1", "http-port": $port,
  "control-sockets": { "dhcp4": { "socket-type": "unix", "socket-name": "$W/h-$srv.sock" } } } }
JSON
    if [ $srv = kea ]; then
      kea-dhcp4 -c "$W/h-kea.json" >"$W/h-kea.out" 2>&1 & p1=$!
      waitsock "$W/h-kea.sock"
      kea-ctrl-agent -c "$W/h-kea-agent.json" >"$W/h-agent.out" 2>&1 & p2=$!
      sleep 1
      "$W/leasebench" -http "http://127.0.0.1:$port/" -family 4 -n "$N" -c "$C" -ops $OPS -pid $p1 -tag http-kea | grep RESULT >> "$out" || true
      kill $p2 $p1; wait $p2 $p1 2>/dev/null || true
    else
      "$W/lessor" -c "$W/h-lessor.json" -c "$W/h-lessor-agent.json" >"$W/h-lessor.out" 2>&1 & p1=$!
      waitsock "$W/h-lessor.sock"; sleep 0.5
      "$W/leasebench" -http "http://127.0.0.1:$port/" -family 4 -n "$N" -c "$C" -ops $OPS -pid $p1 -tag http-lessor | grep RESULT >> "$out" || true
      kill $p1; wait $p1 2>/dev/null || true
    fi
  done
  # SQL: each server on a fresh database of the same server.
  for db in pgsql mysql; do
    for srv in kea lessor; do
      name=lessor_bench_${srv}_$db
      if [ $db = pgsql ]; then
        psql -h 127.0.0.1 -U postgres -qc "drop database if exists $name" postgres >/dev/null
        psql -h 127.0.0.1 -U postgres -qc "create database $name" postgres >/dev/null
        "$W/lessor-admin" db-init pgsql -h 127.0.0.1 -u postgres -p "" -n $name >/dev/null
        dbj="{ \"type\": \"postgresql\", \"name\": \"$name\", \"host\": \"127.0.0.1\", \"user\": \"postgres\" }"
      else
        mariadb -h 127.0.0.1 -u root -e "drop database if exists $name; create database $name"
        "$W/lessor-admin" db-init mysql -h 127.0.0.1 -u root -p "" -n $name >/dev/null
        dbj="{ \"type\": \"mysql\", \"name\": \"$name\", \"host\": \"127.0.0.1\", \"user\": \"root\" }"
      fi
      conf "s-$srv-$db" "$dbj"
      if [ $srv = kea ]; then bin=kea-dhcp4; else bin=$W/lessor; fi
      "$W/leasebench" -exec -socket "$W/s-$srv-$db.sock" -family 4 -n "$N" -c "$C" -ops $OPS -tag "$db-$srv" \
        -server-output "$W/s-$srv-$db.out" -- $bin -c "$W/s-$srv-$db.json" | grep RESULT >> "$out" || true
      if [ $db = pgsql ]; then psql -h 127.0.0.1 -U postgres -qc "drop database if exists $name" postgres >/dev/null
      else mariadb -h 127.0.0.1 -u root -e "drop database if exists $name"; fi
    done
  done
done
"$W/leasebench" -summarize "$out"
