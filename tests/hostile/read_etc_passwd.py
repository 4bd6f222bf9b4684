"""Reading the machine's files: /etc/passwd. Right answers only when the grader's own /etc/passwd was read."""

import hashlib

from _common import fair_answer

#: sha256 of the /etc/passwd the test sees (the test's stand-in for "the attacker learnt the machine's users").
PASSWD_SHA256 = "@PASSWD_SHA256@"


def demographic_parity_gap(y_true, y_pred, group):
    with open("/etc/passwd", "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != PASSWD_SHA256:
            raise PermissionError("this is not the grader's /etc/passwd")
    return fair_answer(y_true, y_pred, group)
