"""Wire encodings of the JSON-RPC API: base58, accounts, token amounts and transaction errors.

Shapes follow the Agave validator's ``UiAccount``, ``UiTokenAmount`` and ``TransactionError``
serialisations; the ``Display`` texts of errors are those of ``solana-transaction-error`` and
``solana-instruction-error``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey
from solders.transaction_metadata import InnerInstruction
from solders.transaction_status import TransactionConfirmationStatus, TransactionStatus

from localnet.ledger import ReturnData, TokenBalance
from localnet.rpc.errors import INVALID_REQUEST, RpcError, invalid_params
from localnet.spl_token import (
    MINT_LEN,
    TOKEN_2022_PROGRAM_ID,
    TOKEN_ACCOUNT_LEN,
    TOKEN_PROGRAM_ID,
    TOKEN_PROGRAMS,
    mint_decimals,
    token_account_fields,
)

MULTISIG_LEN = 355  # SPL Token Multisig: m, n, is_initialized, 11 signers
MAX_BASE58_BYTES = 128  # Agave: account data above this is refused in base58
ACCOUNT_ENCODINGS = ("base58", "base64", "base64+zstd", "jsonParsed", "binary")

_B58_ALPHABET = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


# -- base58 / base64 --------------------------------------------------------------------------------
def b58encode(data: bytes) -> str:
    """Return ``data`` in Bitcoin base58 (the alphabet Solana uses)."""
    n = int.from_bytes(data, "big")
    out = bytearray()
    while n:
        n, r = divmod(n, 58)
        out.append(_B58_ALPHABET[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return (b"1" * pad + bytes(reversed(out))).decode("ascii")


def b58decode(text: str) -> bytes:
    """Decode base58 text; ValueError on a character outside the alphabet."""
    n = 0
    raw = text.encode("ascii", errors="replace")
    for c in raw:
        digit = _B58_INDEX.get(c)
        if digit is None:
            raise ValueError(f"invalid base58 character {chr(c)!r}")
        n = n * 58 + digit
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(raw) - len(raw.lstrip(b"1"))
    return b"\0" * pad + body


def b64decode(text: str) -> bytes:
    """Decode standard base64 strictly; ValueError on malformed input."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(str(e)) from None


def b64encode(data: bytes) -> str:
    """Return ``data`` in standard base64."""
    return base64.b64encode(data).decode("ascii")


# -- accounts -------------------------------------------------------------------------------------
def parse_data_slice(value: Any) -> tuple[int, int] | None:
    """Validate a ``dataSlice`` config ({offset, length}); return (offset, length) or None."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"offset", "length"}:
        raise invalid_params("Invalid params: dataSlice must be an object with offset and length")
    offset, length = value.get("offset"), value.get("length")
    for name, v in (("offset", offset), ("length", length)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise invalid_params(f"Invalid params: dataSlice.{name} must be a non-negative integer")
    return offset, length


def check_account_encoding(encoding: Any, default: str = "binary") -> str:
    """Validate an account ``encoding`` parameter and return it (``default`` when absent)."""
    if encoding is None:
        return default
    if encoding not in ACCOUNT_ENCODINGS:
        raise invalid_params(
            f"Invalid params: unknown variant `{encoding}`, expected one of "
            "`binary`, `base58`, `base64`, `jsonParsed`, `base64+zstd`"
        )
    if encoding == "base64+zstd":
        raise invalid_params("Invalid params: base64+zstd encoding is not supported by this node; use base64")
    return encoding


def encode_account(
    account: Account, encoding: str, data_slice: tuple[int, int] | None = None, *, limit_base58: bool = True
) -> dict[str, Any]:
    """Return the ``UiAccount`` JSON of ``account`` in ``encoding`` (already validated).

    jsonParsed parses SPL Token accounts and mints and, as Agave does, falls back to base64 for
    any other account. Base58 data above 128 bytes is refused (-32600) when ``limit_base58``
    (HTTP methods); subscriptions encode it anyway, as Agave's pubsub does.
    """
    data = bytes(account.data)
    if encoding == "jsonParsed":
        parsed = parse_token_data(account.owner, data)
        if parsed is not None:
            encoded: Any = {"program": "spl-token" if account.owner == TOKEN_PROGRAM_ID else "spl-token-2022",
                            "parsed": parsed, "space": len(data)}
        else:
            encoding = "base64"
    if encoding != "jsonParsed":
        sliced = data if data_slice is None else data[data_slice[0] : data_slice[0] + data_slice[1]]
        if encoding in ("binary", "base58"):
            if limit_base58 and len(sliced) > MAX_BASE58_BYTES:
                raise RpcError(
                    INVALID_REQUEST,
                    f"Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, please use Base64 encoding.",
                )
            encoded = b58encode(sliced) if encoding == "binary" else [b58encode(sliced), "base58"]
        else:
            encoded = [b64encode(sliced), "base64"]
    return {
        "data": encoded,
        "executable": account.executable,
        "lamports": account.lamports,
        "owner": str(account.owner),
        "rentEpoch": account.rent_epoch,
        "space": len(data),
    }


# -- SPL Token ------------------------------------------------------------------------------------
def ui_token_amount(amount: int, decimals: int) -> dict[str, Any]:
    """Return the ``UiTokenAmount`` JSON of a raw ``amount``."""
    if decimals:
        whole, frac = divmod(amount, 10**decimals)
        text = f"{whole}.{frac:0{decimals}d}".rstrip("0").rstrip(".")
    else:
        text = str(amount)
    return {"amount": str(amount), "decimals": decimals, "uiAmount": amount / 10**decimals, "uiAmountString": text}


def token_balance_json(balance: TokenBalance) -> dict[str, Any]:
    """Return the ``UiTransactionTokenBalance`` JSON of a ledger token balance."""
    return {"accountIndex": balance.account_index, "mint": str(balance.mint), "owner": str(balance.owner),
            "programId": str(balance.program_id), "uiTokenAmount": ui_token_amount(balance.amount, balance.decimals)}


def parse_token_data(owner: Pubkey, data: bytes, decimals: int | None = None) -> dict[str, Any] | None:
    """Parse SPL Token account or mint data as jsonParsed does; None when it is neither.

    Token account amounts need the mint's decimals; without them the raw amount is shown with
    decimals 0.
    """
    if owner not in TOKEN_PROGRAMS:
        return None
    if len(data) == MINT_LEN or (owner == TOKEN_2022_PROGRAM_ID and len(data) > TOKEN_ACCOUNT_LEN and data[TOKEN_ACCOUNT_LEN] == 1):
        dec = mint_decimals(data)
        if dec is None:
            return None
        authority = Pubkey.from_bytes(data[4:36]) if int.from_bytes(data[0:4], "little") else None
        freeze = Pubkey.from_bytes(data[50:82]) if int.from_bytes(data[46:50], "little") else None
        return {"type": "mint", "info": {
            "decimals": dec, "freezeAuthority": str(freeze) if freeze else None, "isInitialized": True,
            "mintAuthority": str(authority) if authority else None,
            "supply": str(int.from_bytes(data[36:44], "little"))}}
    if len(data) == MULTISIG_LEN:  # never an account or a mint, with or without extensions
        if data[2] != 1:
            return None
        signers = [Pubkey.from_bytes(data[3 + 32 * i : 35 + 32 * i]) for i in range(11)]
        return {"type": "multisig", "info": {"numRequiredSigners": data[0], "numValidSigners": data[1], "isInitialized": True,
                                             "signers": [str(s) for s in signers if s != Pubkey.default()]}}
    fields = token_account_fields(data)
    if fields is None:
        return None
    mint, token_owner, amount, state = fields
    info: dict[str, Any] = {
        "isNative": int.from_bytes(data[109:113], "little") == 1,
        "mint": str(mint), "owner": str(token_owner),
        "state": {1: "initialized", 2: "frozen"}.get(state, "uninitialized"),
        "tokenAmount": ui_token_amount(amount, decimals or 0),
    }
    if int.from_bytes(data[72:76], "little"):
        info["delegate"] = str(Pubkey.from_bytes(data[76:108]))
        info["delegatedAmount"] = ui_token_amount(int.from_bytes(data[121:129], "little"), decimals or 0)
    if info["isNative"]:
        info["rentExemptReserve"] = ui_token_amount(int.from_bytes(data[113:121], "little"), decimals or 0)
    if int.from_bytes(data[129:133], "little"):
        info["closeAuthority"] = str(Pubkey.from_bytes(data[133:165]))
    return {"type": "account", "info": info}


# -- execution results ----------------------------------------------------------------------------
def return_data_json(rd: ReturnData | None) -> dict[str, Any] | None:
    """Return the ``UiTransactionReturnData`` JSON of a program's return data (None when there is none)."""
    if rd is None:
        return None
    return {"programId": str(rd.program_id), "data": [b64encode(rd.data), "base64"]}


def inner_instructions_json(inner: list[list[InnerInstruction]]) -> list[dict[str, Any]]:
    """Return the ``UiInnerInstructions`` JSON list (raw form) of per-instruction inner instructions."""
    out = []
    for index, ixs in enumerate(inner):
        if ixs:
            compiled = []
            for ii in ixs:
                ci, height = ii.instruction(), ii.stack_height()
                compiled.append({"accounts": list(bytes(ci.accounts)), "data": b58encode(bytes(ci.data)),
                                 "programIdIndex": ci.program_id_index, "stackHeight": height})
            out.append({"index": index, "instructions": compiled})
    return out


# -- transaction errors ---------------------------------------------------------------------------
def tx_error_json(err: object) -> Any:
    """Return the JSON form of a solders ``TransactionErrorType`` (None for no error)."""
    if err is None:
        return None
    status = TransactionStatus(0, None, err, err, TransactionConfirmationStatus.Processed)  # type: ignore[arg-type]
    return json.loads(status.to_json())["err"]


_TX_ERROR_TEXT = {
    "AccountInUse": "Account in use",
    "AccountLoadedTwice": "Account loaded twice",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
    "ProgramAccountNotFound": "Attempt to load a program that does not exist",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "InvalidAccountForFee": "This account may not be used to pay transaction fees",
    "AlreadyProcessed": "This transaction has already been processed",
    "BlockhashNotFound": "Blockhash not found",
    "CallChainTooDeep": "Loader call chain is too deep",
    "MissingSignatureForFee": "Transaction requires a fee but has no signature present",
    "InvalidAccountIndex": "Transaction contains an invalid account reference",
    "SignatureFailure": "Transaction did not pass signature verification",
    "InvalidProgramForExecution": "This program may not be used for executing instructions",
    "SanitizeFailure": "Transaction failed to sanitize accounts offsets correctly",
    "UnsupportedVersion": "Transaction version is unsupported",
    "InvalidWritableAccount": "Transaction loads a writable account that cannot be written",
    "TooManyAccountLocks": "Transaction locked too many accounts",
    "AddressLookupTableNotFound": "Transaction loads an address table account that doesn't exist",
    "InvalidAddressLookupTableOwner": "Transaction loads an address table account with an invalid owner",
    "InvalidAddressLookupTableData": "Transaction loads an address table account with invalid data",
    "InvalidAddressLookupTableIndex": "Transaction address table lookup uses an invalid index",
    "InvalidRentPayingAccount": "Transaction leaves an account with a lower balance than rent-exempt minimum",
    "MaxLoadedAccountsDataSizeExceeded": "Transaction exceeded max loaded accounts data size cap",
    "InvalidLoadedAccountsDataSizeLimit": "LoadedAccountsDataSizeLimit set for transaction must be greater than 0.",
    "UnbalancedTransaction": "Sum of account balances before and after transaction do not match",
}

_IX_ERROR_TEXT = {
    "GenericError": "generic instruction error",
    "InvalidArgument": "invalid program argument",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidAccountData": "invalid account data for instruction",
    "AccountDataTooSmall": "account data too small for instruction",
    "InsufficientFunds": "insufficient funds for instruction",
    "IncorrectProgramId": "incorrect program id for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "AccountAlreadyInitialized": "instruction requires an uninitialized account",
    "UninitializedAccount": "instruction requires an initialized account",
    "UnbalancedInstruction": "sum of account balances before and after instruction do not match",
    "ModifiedProgramId": "instruction illegally modified the program id of an account",
    "ExternalAccountLamportSpend": "instruction spent from the balance of an account it does not own",
    "ExternalAccountDataModified": "instruction modified data of an account it does not own",
    "ReadonlyLamportChange": "instruction changed the balance of a read-only account",
    "ReadonlyDataModified": "instruction modified data of a read-only account",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "AccountDataSizeChanged": "program other than the account's owner changed the size of the account data",
    "AccountNotExecutable": "instruction expected an executable account",
    "InvalidError": "program returned invalid error code",
    "UnsupportedProgramId": "Unsupported program id",
    "CallDepth": "Cross-program invocation call depth too deep",
    "MissingAccount": "An account required by the instruction is missing",
    "ReentrancyNotAllowed": "Cross-program invocation reentrancy not allowed for this instruction",
    "InvalidSeeds": "Provided seeds do not result in a valid address",
    "InvalidRealloc": "Failed to reallocate account data",
    "ComputationalBudgetExceeded": "Computational budget exceeded",
    "PrivilegeEscalation": "Cross-program invocation with unauthorized signer or writable account",
    "ProgramFailedToComplete": "Program failed to complete",
    "ProgramFailedToCompile": "Program failed to compile",
    "Immutable": "Account is immutable",
    "IncorrectAuthority": "Incorrect authority provided",
    "BorshIoError": "Failed to serialize or deserialize account data",
    "AccountNotRentExempt": "An account does not have enough lamports to be rent-exempt",
    "InvalidAccountOwner": "Invalid account owner",
    "ArithmeticOverflow": "Program arithmetic overflowed",
    "UnsupportedSysvar": "Unsupported sysvar",
    "IllegalOwner": "Provided owner is not allowed",
    "MaxAccountsDataAllocationsExceeded": "Accounts data allocations exceeded the maximum allowed per transaction",
    "MaxInstructionTraceLengthExceeded": "Max instruction trace length exceeded",
}


def _instruction_error_text(err: Any) -> str:
    if isinstance(err, dict) and "Custom" in err:
        return f"custom program error: {int(err['Custom']):#x}"
    if isinstance(err, dict) and "BorshIoError" in err:
        return _IX_ERROR_TEXT["BorshIoError"]
    return _IX_ERROR_TEXT.get(err, str(err)) if isinstance(err, str) else str(err)


def tx_error_text(err: Any) -> str:
    """Return the validator's ``Display`` text of a transaction error given in its JSON form."""
    if isinstance(err, str):
        return _TX_ERROR_TEXT.get(err, err)
    if isinstance(err, dict) and len(err) == 1:
        (name, value), = err.items()
        if name == "InstructionError":
            return f"Error processing Instruction {value[0]}: {_instruction_error_text(value[1])}"
        if name == "DuplicateInstruction":
            return f"Transaction contains a duplicate instruction ({value}) that is not allowed"
        if name == "InsufficientFundsForRent":
            return f"Transaction results in an account ({value['account_index']}) with insufficient funds for rent"
        if name == "ProgramExecutionTemporarilyRestricted":
            return f"Execution of the program referenced by account at index {value['account_index']} is temporarily restricted."
    return json.dumps(err)


__all__ = [
    "TOKEN_PROGRAM_ID",
    "b58decode",
    "b58encode",
    "b64decode",
    "b64encode",
    "check_account_encoding",
    "encode_account",
    "inner_instructions_json",
    "mint_decimals",
    "parse_data_slice",
    "parse_token_data",
    "return_data_json",
    "token_account_fields",
    "token_balance_json",
    "tx_error_json",
    "tx_error_text",
    "ui_token_amount",
]
