from solders.pubkey import Pubkey

PROGRAM_ID = Pubkey.from_string("6B38kK9zKW1H4N7W1UKHh1HFrDsHAJjL98tyRJJTG3LS")
