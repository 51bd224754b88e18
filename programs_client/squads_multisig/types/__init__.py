import typing
from . import vault_transaction_create_args
from .vault_transaction_create_args import (
    VaultTransactionCreateArgs,
    VaultTransactionCreateArgsJSON,
)
from . import proposal_create_args
from .proposal_create_args import ProposalCreateArgs, ProposalCreateArgsJSON
from . import proposal_vote_args
from .proposal_vote_args import ProposalVoteArgs, ProposalVoteArgsJSON
from . import member
from .member import Member, MemberJSON
from . import permissions
from .permissions import Permissions, PermissionsJSON
from . import vault_transaction_message
from .vault_transaction_message import (
    VaultTransactionMessage,
    VaultTransactionMessageJSON,
)
from . import multisig_compiled_instruction
from .multisig_compiled_instruction import (
    MultisigCompiledInstruction,
    MultisigCompiledInstructionJSON,
)
from . import multisig_message_address_table_lookup
from .multisig_message_address_table_lookup import (
    MultisigMessageAddressTableLookup,
    MultisigMessageAddressTableLookupJSON,
)
from . import proposal_status
from .proposal_status import ProposalStatusKind, ProposalStatusJSON
