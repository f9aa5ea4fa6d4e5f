-- The log the CLI tests read: five meetings (one of three badges, one pair
-- met twice), taps of every outcome, an unknown badge (DEADBEEF) and three
-- stations in three states of health. "Now" is 2026-11-27T12:00:00Z.
-- Two meetings are suspect: the group one (so Alice met Chloé and DEADBEEF
-- only in doubt) and the second of Alice and Bob (met once for certain).
INSERT INTO stations (id, name, tap_seq, meeting_seq, started_utc, heartbeat_utc, reader_state,
                      status_detail, storage_fault, clock_synced, version) VALUES
 ('hall', 'Main hall', 10, 3, '2026-11-26T07:00:00.000Z', '2026-11-27T11:59:30.000Z', 'ok', '', 0, 1, '0.1.0'),
 ('foyer', 'Foyer', 5, 2, '2026-11-26T07:00:00.000Z', '2026-11-27T11:50:00.000Z', 'fault', 'no reader found', 0, 0, '0.1.0'),
 ('bar', 'Bar', 0, 0, '2026-11-27T11:00:00.000Z', '2026-11-27T11:59:50.000Z', 'ok', '', 0, 0, '0.1.0');

INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced, boot_id, mono_ms, n_badges, suspect) VALUES
 ('hall:m1', 'hall', 1, '2026-11-26T09:00:00.000Z', 0, 1, 'b1', 1000, 2, NULL),
 ('hall:m2', 'hall', 2, '2026-11-26T09:30:00.500Z', 0, 1, 'b1', 2000, 3, 'partner came 5.1 s after the first tap'),
 ('foyer:m1', 'foyer', 1, '2026-11-26T10:15:00.250Z', 0, 1, 'b2', 1000, 2, NULL),
 ('hall:m3', 'hall', 3, '2026-11-26T11:00:00.000Z', 0, 1, 'b1', 3000, 2, 'second badge 7.9 s later, as the window closed'),
 ('foyer:m2', 'foyer', 2, '2026-11-27T08:00:00.000Z', 0, 1, 'b2', 2000, 2, NULL);

INSERT INTO meeting_badges (meeting_id, uid) VALUES
 ('hall:m1', '04A1B2C3D4E5F6'), ('hall:m1', '0A0B0C0D'),
 ('hall:m2', '04A1B2C3D4E5F6'), ('hall:m2', '11223344'), ('hall:m2', 'DEADBEEF'),
 ('foyer:m1', '0A0B0C0D'), ('foyer:m1', '0102030405060708090A'),
 ('hall:m3', '0A0B0C0D'), ('hall:m3', '04A1B2C3D4E5F6'),
 ('foyer:m2', '11223344'), ('foyer:m2', '55667788');

INSERT INTO taps (id, station, seq, uid, kind, outcome, reason, meeting_id, time_utc, utc_ms,
                  clock_synced, boot_id, mono_ms) VALUES
 ('hall:1', 'hall', 1, '04A1B2C3D4E5F6', 'mifare-classic', 'paired', '', 'hall:m1', '2026-11-26T08:59:58.000Z', 0, 1, 'b1', 998),
 ('hall:2', 'hall', 2, '0A0B0C0D', 'mifare-classic', 'paired', '', 'hall:m1', '2026-11-26T09:00:00.000Z', 0, 1, 'b1', 1000),
 ('hall:3', 'hall', 3, '04A1B2C3D4E5F6', 'mifare-classic', 'paired', '', 'hall:m2', '2026-11-26T09:29:59.000Z', 0, 1, 'b1', 1999),
 ('hall:4', 'hall', 4, '11223344', 'mifare-classic', 'paired', '', 'hall:m2', '2026-11-26T09:30:00.000Z', 0, 1, 'b1', 2000),
 ('hall:5', 'hall', 5, 'DEADBEEF', 'mifare-classic', 'paired', '', 'hall:m2', '2026-11-26T09:30:00.500Z', 0, 1, 'b1', 2000),
 ('hall:6', 'hall', 6, '04A1B2C3D4E5F6', 'mifare-classic', 'paired', '', 'hall:m3', '2026-11-26T10:59:59.000Z', 0, 1, 'b1', 2999),
 ('hall:7', 'hall', 7, '0A0B0C0D', 'mifare-classic', 'paired', '', 'hall:m3', '2026-11-26T11:00:00.000Z', 0, 1, 'b1', 3000),
 ('hall:8', 'hall', 8, '55667788', 'mifare-classic', 'unpaired', 'window expired', NULL, '2026-11-26T12:00:00.000Z', 0, 1, 'b1', 4000),
 ('hall:9', 'hall', 9, '04A1B2C3D4E5F6', 'mifare-classic', 'cancelled', 'same badge twice', NULL, '2026-11-26T12:05:00.000Z', 0, 1, 'b1', 4300),
 ('hall:10', 'hall', 10, '0A0B0C0D', 'mifare-classic', 'duplicate', 'repeat within 60 s', NULL, '2026-11-26T12:06:00.000Z', 0, 1, 'b1', 4360),
 ('foyer:1', 'foyer', 1, '0A0B0C0D', 'mifare-classic', 'paired', '', 'foyer:m1', '2026-11-26T10:14:59.000Z', 0, 1, 'b2', 999),
 ('foyer:2', 'foyer', 2, '0102030405060708090A', 'iso14443-4', 'paired', '', 'foyer:m1', '2026-11-26T10:15:00.250Z', 0, 1, 'b2', 1000),
 ('foyer:3', 'foyer', 3, '11223344', 'mifare-classic', 'paired', '', 'foyer:m2', '2026-11-27T07:59:59.000Z', 0, 1, 'b2', 1999),
 ('foyer:4', 'foyer', 4, '55667788', 'mifare-classic', 'paired', '', 'foyer:m2', '2026-11-27T08:00:00.000Z', 0, 1, 'b2', 2000),
 ('foyer:5', 'foyer', 5, '08123456', 'unknown', 'rejected', 'random UID', NULL, '2026-11-27T09:00:00.000Z', 0, 1, 'b2', 5000);

UPDATE meetings SET utc_ms = CAST(round((julianday(time_utc) - 2440587.5) * 86400000) AS INTEGER);
UPDATE taps SET utc_ms = CAST(round((julianday(time_utc) - 2440587.5) * 86400000) AS INTEGER);
