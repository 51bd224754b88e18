"""Generate a Python client from an Anchor IDL with anchorpy's own client generator.

This is exactly what `anchorpy client-gen IDL OUT` does, called as a library: anchorpy's typer CLI
cannot start beside current click releases, while its generator functions work unchanged.
"""

from __future__ import annotations

from pathlib import Path

from anchorpy.clientgen.accounts import gen_accounts
from anchorpy.clientgen.errors import gen_errors
from anchorpy.clientgen.instructions import gen_instructions
from anchorpy.clientgen.program_id import gen_program_id
from anchorpy.clientgen.types import gen_types
from anchorpy_core.idl import Idl


def generate_client(idl_path: Path, out_dir: Path) -> None:
    """Write the anchorpy client package for ``idl_path`` into ``out_dir`` (program id from the IDL metadata)."""
    idl = Idl.from_json(idl_path.read_text())
    metadata = idl.metadata if isinstance(idl.metadata, dict) else {}
    program_id = metadata.get("address")
    if not program_id:
        raise ValueError(f"{idl_path}: metadata.address (the program id) is missing")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "__init__.py").write_text("")
    gen_program_id(program_id, out_dir)
    gen_errors(idl, out_dir)
    gen_instructions(idl, out_dir, False)
    gen_types(idl, out_dir)
    gen_accounts(idl, out_dir)
