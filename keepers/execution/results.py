"""Outcomes of sending a transaction, as values: ``Landed`` or ``Failed``.

A chain returns one of these for every transaction it executed; transport faults raise instead.
Program errors are named through the generated ``programs_client.perp.errors`` module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solders.signature import Signature
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from programs_client.perp.errors import custom as perp_errors


@dataclass(frozen=True)
class Landed:
    """A transaction that executed successfully."""

    signature: Signature
    logs: list[str]
    compute_units: int
    return_data: bytes | None = None
    slot: int | None = None

    ok = True


@dataclass(frozen=True)
class Failed:
    """A transaction the runtime executed and rejected (or refused before execution)."""

    signature: Signature | None
    error: object
    logs: list[str] = field(default_factory=list)
    compute_units: int = 0

    ok = False

    @property
    def instruction_index(self) -> int | None:
        """Index of the failing instruction, when the error names one."""
        return self.error.index if isinstance(self.error, TransactionErrorInstructionError) else None

    @property
    def custom_code(self) -> int | None:
        """The program's custom error code (e.g. 6003), or None for other errors."""
        if isinstance(self.error, TransactionErrorInstructionError) and isinstance(self.error.err, InstructionErrorCustom):
            return self.error.err.code
        return None

    @property
    def program_error(self) -> perp_errors.CustomError | None:
        """The perp program's error class instance for the custom code, if it is one of ours."""
        code = self.custom_code
        return perp_errors.from_code(code) if code is not None else None

    @property
    def error_name(self) -> str:
        """A short name: the IDL error name for our codes, else the runtime's error text."""
        err = self.program_error
        return type(err).__name__ if err is not None else str(self.error)


Outcome = Landed | Failed
