import typing
from anchorpy.error import ProgramError


class UnknownInstruction(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6000, "Instruction data does not start with a known discriminator"
        )

    code = 6000
    name = "UnknownInstruction"
    msg = "Instruction data does not start with a known discriminator"


class InvalidInstructionData(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6001, "Instruction data has the wrong length or an out-of-range value"
        )

    code = 6001
    name = "InvalidInstructionData"
    msg = "Instruction data has the wrong length or an out-of-range value"


class NotEnoughAccounts(ProgramError):
    def __init__(self) -> None:
        super().__init__(6002, "Fewer accounts than the instruction requires")

    code = 6002
    name = "NotEnoughAccounts"
    msg = "Fewer accounts than the instruction requires"


class MissingSigner(ProgramError):
    def __init__(self) -> None:
        super().__init__(6003, "An account that must sign did not")

    code = 6003
    name = "MissingSigner"
    msg = "An account that must sign did not"


class AccountNotWritable(ProgramError):
    def __init__(self) -> None:
        super().__init__(6004, "An account that must be writable is not")

    code = 6004
    name = "AccountNotWritable"
    msg = "An account that must be writable is not"


class Unauthorized(ProgramError):
    def __init__(self) -> None:
        super().__init__(6005, "The signer is not the mock oracle's authority")

    code = 6005
    name = "Unauthorized"
    msg = "The signer is not the mock oracle's authority"


class WrongOwner(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6006, "The price account is not owned by the mock oracle program"
        )

    code = 6006
    name = "WrongOwner"
    msg = "The price account is not owned by the mock oracle program"


class WrongSize(ProgramError):
    def __init__(self) -> None:
        super().__init__(
            6007, "The price account does not have the real size of its layout"
        )

    code = 6007
    name = "WrongSize"
    msg = "The price account does not have the real size of its layout"


class InvalidConfig(ProgramError):
    def __init__(self) -> None:
        super().__init__(6008, "The config account is not the mock oracle's config PDA")

    code = 6008
    name = "InvalidConfig"
    msg = "The config account is not the mock oracle's config PDA"


class AlreadyInitialized(ProgramError):
    def __init__(self) -> None:
        super().__init__(6009, "The config PDA already exists")

    code = 6009
    name = "AlreadyInitialized"
    msg = "The config PDA already exists"


class InvalidProgramId(ProgramError):
    def __init__(self) -> None:
        super().__init__(6010, "The system program account is not the System program")

    code = 6010
    name = "InvalidProgramId"
    msg = "The system program account is not the System program"


class CreateAccountFailed(ProgramError):
    def __init__(self) -> None:
        super().__init__(6011, "Creating the config PDA failed")

    code = 6011
    name = "CreateAccountFailed"
    msg = "Creating the config PDA failed"


CustomError = typing.Union[
    UnknownInstruction,
    InvalidInstructionData,
    NotEnoughAccounts,
    MissingSigner,
    AccountNotWritable,
    Unauthorized,
    WrongOwner,
    WrongSize,
    InvalidConfig,
    AlreadyInitialized,
    InvalidProgramId,
    CreateAccountFailed,
]
CUSTOM_ERROR_MAP: dict[int, CustomError] = {
    6000: UnknownInstruction(),
    6001: InvalidInstructionData(),
    6002: NotEnoughAccounts(),
    6003: MissingSigner(),
    6004: AccountNotWritable(),
    6005: Unauthorized(),
    6006: WrongOwner(),
    6007: WrongSize(),
    6008: InvalidConfig(),
    6009: AlreadyInitialized(),
    6010: InvalidProgramId(),
    6011: CreateAccountFailed(),
}


def from_code(code: int) -> typing.Optional[CustomError]:
    maybe_err = CUSTOM_ERROR_MAP.get(code)
    if maybe_err is None:
        return None
    return maybe_err
