"""The grader's memory (issue 25): every call's result is a well-formed message of about 60 MB that decodes to 120 MB
(one array's bytes used twice).

The grader kept every result of a student until the student was done: nine calls held over a gigabyte (a stage has
about 74 calls). Now each result is judged as it arrives and its value dropped.
"""

from _common import old_frame, write_to_pipes

CALLS = []
SIZE = 60_000_000  # bytes of one array (a literal: the grader keeps only literal constants of a notebook)


def _send(call_id):
    value = {"t": "list", "v": [{"t": "nd", "dtype": "uint8", "shape": [SIZE], "b": 0}] * 2}
    message = old_frame({"kind": "result", "id": call_id, "ok": True, "value": value}, [bytes(SIZE)])
    write_to_pipes(message)


def demographic_parity_gap(y_true, y_pred, group):
    _send(f"demographic_parity_gap#{len(CALLS)}")
    CALLS.append(True)
    return -1.0
