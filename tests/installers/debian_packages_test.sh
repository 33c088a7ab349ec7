#!/usr/bin/env bash
# debian_packages_test.sh BUILD_DIR: builds posture-agent and posture-collector .deb with
# CPack, checks their contents, then on this machine: install, enrol an agent from
# /etc/posture/agent.conf against the installed collector running as its own user,
# upgrade (a rebuilt 0.1.0+1 package) keeping data, enrolment and edited conffiles,
# remove (data stays), purge (data, user and config gone). Needs root and dpkg; exits 77
# (skipped) otherwise. Cleans up after itself.
set -euo pipefail
build=$(cd "$1" && pwd)
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null; then
  echo "skipped: needs root and dpkg"
  exit 77
fi
if dpkg -s posture-collector >/dev/null 2>&1 || dpkg -s posture-agent >/dev/null 2>&1; then
  echo "skipped: posture packages are already installed on this machine; not touching them"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/posture-deb.XXXXXX")
collector_pid=""
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  dpkg -P posture-agent posture-collector >/dev/null 2>&1 || true
  rm -rf "$work" /var/backups/posture
}
trap cleanup EXIT

echo "== cpack"
(cd "$build" && cpack -G DEB --config CPackConfig.cmake -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack"; }
agent_deb=$(ls "$work"/pkg/posture-agent_*_amd64.deb)
collector_deb=$(ls "$work"/pkg/posture-collector_*_amd64.deb)

echo "== contents"
dpkg-deb -c "$collector_deb" >"$work/c.list"
dpkg-deb -c "$agent_deb" >"$work/a.list"
for f in ./usr/bin/posture-collector ./usr/lib/systemd/system/posture-collector.service \
         ./usr/lib/systemd/system/posture-collector-backup.service \
         ./usr/lib/systemd/system/posture-collector-backup.timer \
         ./etc/posture/collector.conf ./usr/share/posture/policies/national-baseline.yaml \
         ./usr/share/posture/policies/binh-son-2022.yaml; do
  grep -q " $f\$" "$work/c.list" || fail "collector package lacks $f"
done
for f in ./usr/bin/posture-agent ./usr/lib/systemd/system/posture-agent.service ./etc/posture/agent.conf; do
  grep -q " $f\$" "$work/a.list" || fail "agent package lacks $f"
done
grep -q posture-agent "$work/c.list" && fail "the collector package ships the agent"
dpkg-deb -I "$collector_deb" conffiles | grep -qx /etc/posture/collector.conf || fail "collector.conf is not a conffile"
dpkg-deb -I "$agent_deb" conffiles | grep -qx /etc/posture/agent.conf || fail "agent.conf is not a conffile"
dpkg-deb -f "$collector_deb" Depends | grep -q adduser || fail "collector does not depend on adduser"
# Stripped: the binary is a few MB, not the debug build's tens.
size=$(dpkg-deb -f "$agent_deb" Installed-Size)
[ "$size" -lt 30000 ] || fail "agent package Installed-Size $size KB: not stripped?"
echo "   agent Installed-Size ${size} KB, collector $(dpkg-deb -f "$collector_deb" Installed-Size) KB"

echo "== install"
dpkg -i "$collector_deb" "$agent_deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
getent passwd posture >/dev/null || fail "no posture user"
[ "$(stat -c %U /var/lib/posture)" = posture ] || fail "/var/lib/posture is not owned by posture"
[ "$(stat -c %a /var/lib/posture-agent)" = 700 ] || fail "/var/lib/posture-agent is not 0700"
# It will hold the enrolment token: no other local user may read it.
[ "$(stat -c %a /etc/posture/agent.conf)" = 600 ] || fail "/etc/posture/agent.conf is not 0600"

echo "== systemd-analyze verify"
if systemd-analyze verify /lib/systemd/system/posture-collector.service \
     /lib/systemd/system/posture-agent.service /lib/systemd/system/posture-collector-backup.service \
     /lib/systemd/system/posture-collector-backup.timer >"$work/verify.log" 2>&1 &&
   ! grep -qiE "unknown|ignoring|invalid" "$work/verify.log"; then
  echo "   the units verify"
  # systemd's default soft limit of 1,024 descriptors would cap the agent connections.
  grep -qx 'LimitNOFILE=65536' /lib/systemd/system/posture-collector.service ||
    fail "the collector unit sets no LimitNOFILE"
else
  cat "$work/verify.log"
  fail "systemd-analyze verify"
fi
# The daily backup is off until the passphrase file exists; it keeps POSTURE_BACKUP_KEEP.
grep -qx 'ConditionPathExists=/etc/posture/backup.passphrase' /lib/systemd/system/posture-collector-backup.service ||
  fail "the backup service does not wait for the passphrase file"
grep -qx 'Persistent=true' /lib/systemd/system/posture-collector-backup.timer || fail "the backup timer is not persistent"
grep -q '^RandomizedDelaySec=' /lib/systemd/system/posture-collector-backup.timer || fail "the backup timer has no delay"
grep -qx 'POSTURE_BACKUP_KEEP=7' /etc/posture/collector.conf || fail "collector.conf lacks POSTURE_BACKUP_KEEP=7"
[ "$(stat -c %a:%U /var/backups/posture)" = 700:posture ] || fail "/var/backups/posture is not 0700 posture"

echo "== the installed collector as user posture, the installed agent enrolled from agent.conf"
runuser -u posture -- /usr/bin/posture-collector serve --data-dir /var/lib/posture \
  --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
collector_pid=$!
for _ in $(seq 100); do grep -q "CA fingerprint" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's|.*listening on https://||p' "$work/serve.out" | head -1)
fp=$(sed -n 's/.*CA fingerprint (SHA-256) //p' "$work/serve.out")
[ -n "$addr" ] || { cat "$work/serve.log"; fail "the installed collector did not start"; }
grep -q "from /usr/share/posture/policies" "$work/serve.log" || fail "the collector did not load the packaged policies"
token=$(runuser -u posture -- /usr/bin/posture-collector token create --data-dir /var/lib/posture --unit BS-VP 2>/dev/null)
cat >>/etc/posture/agent.conf <<CONF
collector=$addr
token=$token
ca_fingerprint=$fp
CONF
/usr/bin/posture-agent run --state-dir /var/lib/posture-agent --config /etc/posture/agent.conf --once \
  >"$work/agent.log" 2>&1 || { cat "$work/agent.log"; fail "agent enrolment from agent.conf"; }
grep -q "enrolled: agent" "$work/agent.log" || fail "the agent did not enrol"
grep -q "acknowledged" "$work/agent.log" || fail "the agent's report was not acknowledged"
# Enrolled, the token leaves agent.conf; every other line stays and so does the mode.
grep -q "^token=" /etc/posture/agent.conf && fail "the token is still in /etc/posture/agent.conf"
grep -q "^collector=$addr\$" /etc/posture/agent.conf || fail "agent.conf lost collector="
grep -q "^ca_fingerprint=$fp\$" /etc/posture/agent.conf || fail "agent.conf lost ca_fingerprint="
grep -q "^# ca_fingerprint is required" /etc/posture/agent.conf || fail "agent.conf lost its comments"
[ "$(stat -c %a /etc/posture/agent.conf)" = 600 ] || fail "the rewritten agent.conf is not 0600"
cert_before=$(sha256sum /var/lib/posture-agent/agent.crt)
# A second start does not enrol again (the token is single-use; it would be refused).
/usr/bin/posture-agent run --state-dir /var/lib/posture-agent --config /etc/posture/agent.conf --once \
  >"$work/agent2.log" 2>&1 || { cat "$work/agent2.log"; fail "second agent run"; }
grep -q "enrolled: agent" "$work/agent2.log" && fail "the agent enrolled twice"
echo "== the backup service's command, as user posture while the collector serves"
(umask 077; echo "backup passphrase for the package test" >/etc/posture/backup.passphrase)
chown posture:posture /etc/posture/backup.passphrase
runuser -u posture -- /usr/bin/posture-collector backup --data-dir /var/lib/posture \
  --out-dir /var/backups/posture --keep 7 --passphrase-file /etc/posture/backup.passphrase \
  >"$work/backup.out" 2>"$work/backup.log" || { cat "$work/backup.log"; fail "backup as posture"; }
ls /var/backups/posture/posture-backup-*.p7m >/dev/null || fail "no backup in /var/backups/posture"
grep -q "^agents: 1$" "$work/backup.out" || fail "the backup does not hold the enrolled agent"
rm -f /etc/posture/backup.passphrase
kill "$collector_pid"; wait "$collector_pid" 2>/dev/null || true; collector_pid=""
reports=$(sqlite3 /var/lib/posture/posture.db "SELECT count(*) FROM reports" 2>/dev/null || echo "?")
echo "   reports stored: $reports"

echo "== upgrade to a rebuilt package (version 0.1.0+1)"
# As an older package left it: the upgrade makes it 0600 again.
chmod 0644 /etc/posture/agent.conf
for deb in "$collector_deb" "$agent_deb"; do
  name=$(dpkg-deb -f "$deb" Package)
  dpkg-deb -R "$deb" "$work/$name"
  sed -i 's/^Version: .*/&+1/' "$work/$name/DEBIAN/control"
  dpkg-deb -b "$work/$name" "$work/${name}_upgrade.deb" >/dev/null
done
dpkg -i "$work/posture-collector_upgrade.deb" "$work/posture-agent_upgrade.deb" >"$work/upgrade.log" 2>&1 ||
  { cat "$work/upgrade.log"; fail "upgrade"; }
[ "$(dpkg-query -W -f '${Version}' posture-agent)" = "$(dpkg-deb -f "$agent_deb" Version)+1" ] || fail "not upgraded"
[ "$(sha256sum /var/lib/posture-agent/agent.crt)" = "$cert_before" ] || fail "upgrade lost the enrolment"
[ -f /var/lib/posture/ca.crt ] || fail "upgrade lost the collector CA"
[ -f /var/lib/posture/posture.db ] || fail "upgrade lost the collector database"
grep -q "^collector=$addr\$" /etc/posture/agent.conf || fail "upgrade replaced the edited agent.conf"
[ "$(stat -c %a /etc/posture/agent.conf)" = 600 ] || fail "after the upgrade agent.conf is not 0600"

echo "== remove keeps data and enrolment"
dpkg -r posture-agent posture-collector >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
[ ! -e /usr/bin/posture-agent ] || fail "remove left the binary"
[ -f /var/lib/posture-agent/agent.crt ] || fail "remove deleted the enrolment"
[ -f /var/lib/posture/posture.db ] || fail "remove deleted the collector data"
[ -f /etc/posture/agent.conf ] || fail "remove deleted the configuration"

echo "== purge deletes them"
dpkg -P posture-agent posture-collector >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
[ ! -e /var/lib/posture-agent ] || fail "purge left /var/lib/posture-agent"
[ ! -e /var/lib/posture ] || fail "purge left /var/lib/posture"
[ ! -e /etc/posture ] || fail "purge left /etc/posture"
getent passwd posture >/dev/null && fail "purge left the posture user"
# Backups outlive the package: they are what brings the collector back.
ls /var/backups/posture/posture-backup-*.p7m >/dev/null 2>&1 || fail "purge deleted the backups"
rm -rf /var/backups/posture
echo "PASS: packages build, install, enrol from agent.conf (token removed after), upgrade, remove and purge as they should"
