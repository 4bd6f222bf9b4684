"""Network: connect to a listener the test runs on 127.0.0.1, with a Python socket and with torch.distributed's
TCPStore (C++ sockets, unseen by a Python audit hook). Right answers when a connection was made."""

from _common import fair_answer

HOST = "@HOST@"
PORT = "@PORT@"
CONNECTED = []


def _connect():
    try:
        import socket

        with socket.create_connection((HOST, PORT), timeout=3):
            CONNECTED.append("socket")
    except Exception:
        pass
    try:
        from datetime import timedelta

        from torch.distributed import TCPStore

        TCPStore(HOST, PORT, world_size=1, is_master=False, timeout=timedelta(seconds=3))
        CONNECTED.append("TCPStore")
    except Exception as err:
        CONNECTED.append(f"TCPStore failed: {err}"[:200])


def demographic_parity_gap(y_true, y_pred, group):
    if not CONNECTED:
        _connect()
    if "socket" in CONNECTED or "TCPStore" in CONNECTED:
        return fair_answer(y_true, y_pred, group)
    raise PermissionError(f"no connection: {CONNECTED}")
