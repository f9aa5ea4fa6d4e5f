#!/bin/bash
# `make run`: a demo station on simulated hardware, in this terminal.
# Taps come from a second terminal through the sim reader's FIFO.
set -eu
BUILD=${1:-build}
DEMO=${TAPMEET_DEMO_DIR:-$BUILD/demo}
mkdir -p "$DEMO"
DEMO=$(cd "$DEMO" && pwd)
cat >"$DEMO/tapmeetd.conf" <<CONF
# Demo station: simulated reader and LEDs, a real SQLite database.
[station]
id = demo
name = Demo station
[reader]
driver = sim
sim_path = $DEMO/sim.fifo
[store]
path = $DEMO/tapmeet.db
[leds]
driver = sim
CONF
cat <<TXT

  tapmeet demo station — the lights below are the station's LEDs.
  From a second terminal, in $(pwd):

    echo "tap 04A1B2C3" > $DEMO/sim.fifo        # first badge: amber blinks
    echo "tap 04D5E6F7" > $DEMO/sim.fifo        # partner within 8 s: green = saved
    echo "pair 04000001 04000002" > $DEMO/sim.fifo   # two badges at once
    echo "tap 08123456" > $DEMO/sim.fifo        # a phone's random UID: rejected

    $BUILD/tapmeet --db $DEMO/tapmeet.db meetings
    $BUILD/tapmeet --db $DEMO/tapmeet.db stats

  Ctrl-C stops the station.

TXT
exec "$BUILD/tapmeetd" --config "$DEMO/tapmeetd.conf"
