"""keepers/heap.py: the keeper gives the C heap's free pages back to the system."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# In a fresh interpreter (this process's heap is shared with every other test): fill ~80 MiB of the C heap
# with 8 KiB buffers (above pymalloc's 512 bytes, below malloc's mmap threshold), free them all but one
# allocated last, which pins the heap's top so that glibc's automatic trim cannot give anything back,
# then trim. RSS is read from /proc.
_SCRIPT = textwrap.dedent("""
    import sys
    from keepers.heap import trim_heap

    def rss_kib():
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))

    buffers = [bytearray(8192) for _ in range(10_000)]
    pin = bytearray(8192)
    del buffers
    before = rss_kib()
    assert trim_heap()
    after = rss_kib()
    print(before, after)
""")


def test_trim_returns_the_pages_of_freed_buffers_below_a_live_one() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    before, after = map(int, out.stdout.split())
    assert before - after > 60 * 1024, (before, after)  # most of the 80 MiB freed went back
