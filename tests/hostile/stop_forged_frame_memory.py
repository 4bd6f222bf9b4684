"""The grader's memory (issue 25): a forged 60 MB result frame whose header is ``[{},{},...]``.

The grader ``json.loads``-ed it before any bound: 20 million dicts, 2.3 GB in the grader. Now the header's size and
the number of values it can make are counted on the raw bytes first, and the frame is refused unread.
"""

import json
import struct

from _common import write_to_pipes

STARTED = []


def _forge():
    header = b"[" + b"{}," * 20_000_000 + b"{}]"
    head = json.dumps({"h": len(header), "sizes": []}).encode()
    payload = struct.pack("<I", len(head)) + head + header
    frame = struct.pack("<Q", len(payload)) + payload
    write_to_pipes(frame)


def demographic_parity_gap(y_true, y_pred, group):
    if not STARTED:
        STARTED.append(True)
        _forge()
    return -1.0
