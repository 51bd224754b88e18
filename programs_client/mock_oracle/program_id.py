from solders.pubkey import Pubkey

PROGRAM_ID = Pubkey.from_string("EnV6KeHwLkPnCihxJawqKWiqGwcqiZMSzBcmQayBeDK5")
