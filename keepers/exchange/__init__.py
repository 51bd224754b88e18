"""The exchange as the keepers see it: exact mirrors of the program's margin, mark and oracle math,
the vectorised margin scan, account decoders, PDAs and instruction builders."""
