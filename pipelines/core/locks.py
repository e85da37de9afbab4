"""Every advisory-lock key Strata takes, in one place, so no two writers ever share one by accident.

Transaction-level locks (``pg_advisory_xact_lock``) end with their transaction, so a crashed
process can never leave one behind. Fixed keys are "STRATA" in ASCII plus a small number;
registration locks per file, on a key derived from the file's sha256 in SQL.
"""

from __future__ import annotations

from typing import Final

MIGRATION: Final = 0x5354524154410001  # applying migrations
IMPORT: Final = 0x5354524154410002  # loading a layer: one import at a time
# Spool files: shared by whoever reads or writes them (registration, validation, a load),
# exclusive for the housekeeping that removes them (pipelines.intake.housekeeping).
SPOOLS: Final = 0x5354524154410021
# writers of read model passport_overview; also written, as 6004514643731611665, in its SQL refresher
# passport_overview_refresh (migration 0016), which tests/read_models/test_guard.py checks
PASSPORT_OVERVIEW: Final = 0x5354524154410011
EVENT_SALES: Final = 0x5354524154410012  # writers of read model event_sales

# A session whose client died (kill -9 mid-load) is noticed within this, even in a long statement
# or a lock wait, so its transaction rolls back and its locks go (PostgreSQL 14+; for the transaction).
NOTICE_DEAD_CLIENT: Final = "SELECT set_config('client_connection_check_interval', '2s', true)"
XACT_LOCK: Final = "SELECT pg_advisory_xact_lock(%s)"
XACT_LOCK_SHARED: Final = "SELECT pg_advisory_xact_lock_shared(%s)"
TRY_XACT_LOCK: Final = "SELECT pg_try_advisory_xact_lock(%s)"
TRY_XACT_LOCK_SHARED: Final = "SELECT pg_try_advisory_xact_lock_shared(%s)"
SESSION_LOCK_SHARED: Final = "SELECT pg_advisory_lock_shared(%s)"
SESSION_UNLOCK_SHARED: Final = "SELECT pg_advisory_unlock_shared(%s)"
TRY_SESSION_LOCK: Final = "SELECT pg_try_advisory_lock(%s)"
SESSION_UNLOCK: Final = "SELECT pg_advisory_unlock(%s)"
# One registration at a time per file content: the key is the hash of the file's sha256.
REGISTRATION_XACT_LOCK: Final = (
    "SELECT pg_advisory_xact_lock(hashtextextended('strata-register:' || %(sha256)s, 0))"
)
