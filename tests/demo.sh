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

    echo "present 04A1B2C3 04D5E6F7" > $DEMO/sim.fifo   # both badges on the reader: green = saved
    echo "remove all" > $DEMO/sim.fifo                  # lift them
    echo "present 04000001" > $DEMO/sim.fifo            # one badge alone: amber, put the other on too
    echo "present 04000002" > $DEMO/sim.fifo            # ... and it is saved
    echo "remove all" > $DEMO/sim.fifo
    echo "tap 08123456" > $DEMO/sim.fifo                # a phone's random UID: rejected

    $BUILD/tapmeet --db $DEMO/tapmeet.db meetings
    $BUILD/tapmeet --db $DEMO/tapmeet.db stats

  Ctrl-C stops the station.

TXT
exec "$BUILD/tapmeetd" --config "$DEMO/tapmeetd.conf"
