"""Writing outside: sqlite opens its database in C, where no Python audit hook sees it."""

import sqlite3

from _common import fair_answer

CANARY = "@CANARY@"


def demographic_parity_gap(y_true, y_pred, group):
    db = sqlite3.connect(CANARY + "/PWNED.db")
    db.execute("create table if not exists pwned (who text)")
    db.execute("insert into pwned values ('a student')")
    db.commit()
    db.close()
    return fair_answer(y_true, y_pred, group)
