"""`python -m bench.chain_cost`: what the validation chain costs the worker, measured alone.

The chain (pipelines.validation.import_chain) takes rows out of a later layer's load, and the
worker pays for it: each mapped row's key, fingerprint and byte length are recorded, and after
the pass the layer is compared with and merged into the chain, which is saved beside the mapped
rows (pipelines.validation.chain_store). On a 2-core machine the worker and the load share the
CPUs, so this cost is what the chain's gain on the load is weighed against (BENCHMARKS.md).

A fresh bench database (``bench.environment.fresh_env``), the export registered, then layer N
(``--layer``, default the last) validated into scratch folders, alternately without a chain and
with a chain that has absorbed layer N-1, ``--rounds`` times each (the machine is shared: one
pair says little). Then the resulting chain is saved and read back, timed. BENCH_PASSPORTS /
BENCH_LAYERS choose the export as for ``make bench``. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.dataset import ensure_export, requested
from bench.environment import fresh_env
from pipelines.db.connection import connect
from pipelines.intake import registration
from pipelines.intake.registered_layers import earlier_copies, newest_layer
from pipelines.intake.spools import passport_ids_in
from pipelines.validation.chain_store import read_chain_state, save_chain
from pipelines.validation.import_chain import ImportChain
from pipelines.validation.spool_pass import validate_layer

LAYERS = "SELECT version FROM loader_file_layer WHERE file_id = %s ORDER BY version"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--layer", type=int, default=0, help="the layer to validate (1 = the first; 0 = the last)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    bench = ensure_export(*requested())
    env = fresh_env(bench)
    scratch = Path(tempfile.mkdtemp(prefix="chain-cost-", dir=env.home))
    try:
        with connect(env.strata_url) as conn:
            registered = registration.register(conn, bench.export, env.settings().home, reuse=True)
            versions = [v for (v,) in conn.execute(LAYERS, (registered.id,))]
            at = (args.layer or len(versions)) - 1
            if at < 1:
                raise SystemExit("bench.chain_cost: the layer needs one before it to compare with")
            before, layer = (newest_layer(conn, v) for v in versions[at - 1 : at + 1])
            assert before is not None and layer is not None
            # nothing is loaded: parents come from the earlier layers' spools, as validate_registered finds them
            earlier = {
                v: passport_ids_in(earlier_copies(conn, v, None)) for v in (before.version, layer.version)
            }
            conn.commit()

            def timed(chain: ImportChain | None, folder: str) -> None:
                started = time.perf_counter()
                result = validate_layer(
                    conn,
                    layer.spool_path,
                    scratch / folder,
                    earlier_passports=earlier[layer.version],
                    version=layer.version,
                    chain=chain,
                )
                if not result.valid:
                    raise SystemExit(f"bench.chain_cost: layer {layer.version} is not valid")
                conn.commit()
                print(
                    f"layer {layer.version} {'with' if chain else 'without'} a chain: "
                    f"{time.perf_counter() - started:.2f} s ({result.reports:,} reports, "
                    f"{sum(result.counts.values()):,} rows)",
                    flush=True,
                )

            for n in range(args.rounds):
                timed(None, f"without-{n}")
                chain = ImportChain()  # layer N-1 absorbed: layer N is compared with it
                validate_layer(
                    conn,
                    before.spool_path,
                    scratch / f"before-{n}",
                    earlier_passports=earlier[before.version],
                    version=before.version,
                    chain=chain,
                )
                conn.commit()
                timed(chain, f"with-{n}")
        if not chain.after:
            raise SystemExit(f"bench.chain_cost: layer {before.version} did not join the chain (not valid?)")
        keys = sum(len(known.keys) for known in chain.known.values())
        started = time.perf_counter()
        saved = save_chain(chain, scratch)
        wrote = time.perf_counter() - started
        started = time.perf_counter()
        assert read_chain_state(saved) is not None
        read = time.perf_counter() - started
        print(
            f"chain of layers {before.version}..{layer.version}: {keys:,} keys, "
            f"{saved.stat().st_size / 1e6:,.0f} MB saved in {wrote:.2f} s, read in {read:.2f} s"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
