# make soak: the conference-length soak (included by the Makefile).
#
#   make soak [SOAK_DAYS=3] [SOAK_SHARE=10] [SOAK_PAIR_GAP_MIN=60] [SOAK_SPEEDUP=0]
#             [SOAK_FLAP_MIN=30] [SOAK_FLAP_DOWN_S=3] [SOAK_SAMPLE_S=60] [SOAK_IDLE_S=120]
#             [SOAK_OUT=$(BUILD)/soak]
#
# Days of the SFHH contact log (../shared/data/sociopatterns-sfhh) replayed
# on the real tapmeetd through libnfc and the PN532 emulator, the reader
# unplugged every SOAK_FLAP_MIN simulated minutes, tapmeet queries running
# against the live database. The defaults (one station of ten, three days)
# take about 35 minutes. Writes $(SOAK_OUT)/samples.tsv and report.txt;
# bench/soak.py says what each figure is, docs/soak.md has a run's figures.

SOAK_DAYS         ?= 3
SOAK_SHARE        ?= 10
SOAK_PAIR_GAP_MIN ?= 60
SOAK_SPEEDUP      ?= 0
SOAK_FLAP_MIN     ?= 30
SOAK_FLAP_DOWN_S  ?= 3
SOAK_SAMPLE_S     ?= 60
SOAK_IDLE_S       ?= 120
SOAK_OUT          ?= $(BUILD)/soak

.PHONY: soak

soak: all $(if $(EMU_SRC),$(EMU_BIN))
	python3 bench/soak.py --build $(BUILD) --days $(SOAK_DAYS) --share $(SOAK_SHARE) \
		--pair-gap-min $(SOAK_PAIR_GAP_MIN) --speedup $(SOAK_SPEEDUP) \
		--flap-min $(SOAK_FLAP_MIN) --flap-down $(SOAK_FLAP_DOWN_S) \
		--sample $(SOAK_SAMPLE_S) --idle $(SOAK_IDLE_S) --out $(SOAK_OUT)
