#!/bin/bash
# The repeat guard after a reboot (a power cut): meetings stored in an earlier
# boot are dated by the wall clock, so the same pair tapping again within the
# guard is "already met" although the monotonic clock started again; a
# meeting of an earlier boot older than the guard is not.
set -u
. "$(dirname "$0")/lib.sh"

write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
send pair 04A1B2C3 04D5E6F7
check "a pair meets" wait_for 10 log_has "meeting id=it-1:m1 "
send pair 04000001 04000002
check "a second pair meets" wait_for 10 log_has "meeting id=it-1:m2 "
stop_daemon TERM

# What a reboot leaves: another boot id, and monotonic times of that boot
# (here far ahead of this one's, which must not matter). The second meeting
# is moved two minutes back, past the 60 s guard.
sql "UPDATE meetings SET boot_id = 'earlier-boot', mono_ms = mono_ms + 86400000000;
     UPDATE meetings SET utc_ms = utc_ms - 120000 WHERE id = 'it-1:m2';"
start_daemon || not_ok "daemon restarts"
send tap 04D5E6F7
sleep 0.4
send tap 04A1B2C3
check "the pair of the earlier boot is already met" \
	wait_for 10 sql_is 2 "SELECT count(*) FROM taps WHERE outcome = 'duplicate'"
send pair 04000002 04000001
check "a pair that met before the guard's span meets again" wait_for 10 log_has "meeting id=it-1:m3 "
check "three meetings in all" sql_is 3 "SELECT count(*) FROM meetings"
check "SIGTERM exits 0" stop_daemon TERM

finish
