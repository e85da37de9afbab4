"""`make gen-types`: regenerate pipelines/contract/export_models.py from schema/export.schema.json.

The JSON Schema is the one written statement of the export contract; the pydantic
models are derived from it by datamodel-code-generator and formatted by ruff, so
the two can never disagree. Both tools are pinned in the ``dev`` extra: another
version may print different code, and tests/test_export_models.py compares the
committed module with a fresh generation byte for byte.

    python -m pipelines.contract.generate_models [OUT_FILE]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
SCHEMA: Final = ROOT / "schema" / "export.schema.json"
MODULE: Final = ROOT / "pipelines" / "contract" / "export_models.py"

HEADER: Final = '''"""Pydantic models of the export (docs/export-format.md), generated from schema/export.schema.json.

Do not edit: change the schema and run `make gen-types`; a test fails when this file is stale.
"""'''

# Options that shape the code; changing one changes the committed module.
CODEGEN_OPTIONS: Final = (
    "--input-file-type",
    "jsonschema",
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--target-python-version",
    "3.11",
    "--use-annotated",
    "--field-constraints",
    "--use-standard-collections",
    "--use-union-operator",
    "--use-schema-description",
    "--use-field-description",
    "--use-title-as-name",
    "--collapse-root-models",
    "--enum-field-as-literal",
    "all",
    "--extra-fields",
    "allow",  # the portal adds keys over time: never an error
    "--disable-timestamp",
    "--formatters",
    "builtin",
)
# ruff runs isolated (no project config), so the output depends on the pinned version only.
RUFF_CHECK: Final = ("check", "--isolated", "--quiet", "--fix", "--select", "I,F401")
RUFF_FORMAT: Final = ("format", "--isolated", "--quiet", "--line-length", "110")


def generate(out: Path = MODULE, schema: Path = SCHEMA) -> Path:
    """Write the models for ``schema`` to ``out``; raises CalledProcessError when a tool fails."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datamodel_code_generator",
            "--input",
            str(schema),
            "--output",
            str(out),
            "--custom-file-header",
            HEADER,
            *CODEGEN_OPTIONS,
        ],
        check=True,
        cwd=ROOT,
    )
    for step in (RUFF_CHECK, RUFF_FORMAT):
        subprocess.run([sys.executable, "-m", "ruff", *step, str(out)], check=True, cwd=ROOT)
    return out


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    out = generate(Path(args[0]) if args else MODULE)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
