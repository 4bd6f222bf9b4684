"""A data-only wire format for what the sandboxed child returns.

The parent never unpickles anything the child sends: a student's object could run
code in the grader when unpickled. The child turns its results into JSON plus raw
array bytes; the parent rebuilds numpy arrays and torch tensors from a fixed list of
numeric dtypes and refuses everything else. The grader's requests to the child use
the same format (with longer strings allowed), so nothing is pickled either way.

This module imports nothing of the course package: the sandbox runs it from a
private copy, beside the grader's runner. It lives in the student package because a
notebook's own check cells judge values after the same round trip (see
:func:`ganbias_helpers.checks.core.call_in_place`), so both graders see the same values.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Largest message the parent accepts (bytes).
MAX_MESSAGE_BYTES = 64 * 2**20
#: Most bytes of arrays that decoding one message may build (each blob is copied once per use).
MAX_DECODED_BYTES = 2 * MAX_MESSAGE_BYTES
#: Largest JSON part of a message (the value's structure and strings; arrays travel as raw bytes after it).
MAX_HEADER_BYTES = 16 * 2**20
#: Most JSON values the parser may build for one message, counted on the raw bytes before parsing (each
#: ``[``, ``{``, ``,`` and ``:`` starts at most one value): a header of ``[{},{},...]`` is refused unread.
MAX_JSON_VALUES = 1_000_000
#: An array or tensor over this many bytes is sent as its type and shape only (a value that large is wrong anyway,
#: and its shape says how: a covariance between examples instead of features...).
MAX_ARRAY_BYTES = MAX_MESSAGE_BYTES // 4
MAX_DEPTH = 8
MAX_ITEMS = 10_000
MAX_STR = 2_000

NUMPY_DTYPES = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
}
_TORCH_DTYPES = {
    "torch.bool": "bool", "torch.int8": "int8", "torch.int16": "int16", "torch.int32": "int32",
    "torch.int64": "int64", "torch.uint8": "uint8", "torch.float16": "float16", "torch.float32": "float32",
    "torch.float64": "float64", "torch.bfloat16": "float32", "torch.complex64": "complex64",
    "torch.complex128": "complex128",
}


class DecodeError(ValueError):
    """The child's message is not in the expected format."""


@dataclass(frozen=True)
class ModelRef:
    """Stands for one of the pretrained models in a call's arguments; the child substitutes a fresh copy.

    Attributes:
        which: ``"gen"`` or ``"classifier"``.
    """

    which: str


@dataclass(frozen=True)
class Opaque:
    """A value of a type the wire format does not carry (only its type name and a short repr)."""

    type_name: str
    text: str
    shape: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def _too_large(obj: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"t": "other", "type": type(obj).__name__[:100], "shape": [int(n) for n in shape][:MAX_DEPTH],
            "repr": f"an array of shape {tuple(shape)}, too large to send back"}


def _encode(obj: Any, blobs: list[bytes], depth: int, budget: list[int], max_str: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return {"t": "other", "type": "too large or too deeply nested", "repr": ""}
    if obj is None or isinstance(obj, bool):
        return obj
    if type(obj) is ModelRef:
        return {"t": "model", "v": obj.which}
    if isinstance(obj, int) and type(obj) is int:
        return obj if abs(obj) < 2**63 else {"t": "other", "type": "int", "repr": "a very large int"}
    if type(obj) is float:
        return obj if math.isfinite(obj) else {"t": "float", "v": repr(obj)}
    if type(obj) is str:
        return {"t": "str", "v": obj[:max_str]}
    if type(obj) in (list, tuple):
        return {"t": type(obj).__name__,
                "v": [_encode(v, blobs, depth + 1, budget, max_str) for v in obj[:MAX_ITEMS]]}
    if type(obj) is dict:
        items = list(obj.items())[:MAX_ITEMS]
        return {"t": "dict", "v": [[_encode(k, blobs, depth + 1, budget, max_str),
                                    _encode(v, blobs, depth + 1, budget, max_str)] for k, v in items]}
    torch = sys.modules.get("torch")  # not imported: the value cannot be a tensor (and importing may not fit)
    try:
        if torch is not None and (type(obj) is torch.Tensor or type(obj) is torch.nn.Parameter):
            dtype = str(obj.dtype)
            if dtype in _TORCH_DTYPES:
                if obj.numel() * obj.element_size() > MAX_ARRAY_BYTES:
                    return _too_large(obj, tuple(obj.shape))
                t = obj.detach().cpu().resolve_conj()
                arr = (t.float() if obj.dtype == torch.bfloat16 else t).numpy()
                blobs.append(np.ascontiguousarray(arr).tobytes())
                return {"t": "torch", "dtype": dtype, "np": _TORCH_DTYPES[dtype], "shape": list(arr.shape),
                        "b": len(blobs) - 1, "grad": bool(obj.requires_grad),
                        "hasgrad": obj.is_leaf and obj.grad is not None}
    except Exception as err:  # a tensor that cannot be read back (meta, sparse...)
        return {"t": "other", "type": type(obj).__name__, "repr": f"unreadable tensor: {err}"[:MAX_STR]}
    if type(obj) is np.ndarray and obj.dtype.name in NUMPY_DTYPES:
        if obj.nbytes > MAX_ARRAY_BYTES:
            return _too_large(obj, obj.shape)
        blobs.append(np.ascontiguousarray(obj).tobytes())
        return {"t": "nd", "dtype": obj.dtype.name, "shape": list(obj.shape), "b": len(blobs) - 1}
    if type(obj) is np.ndarray and obj.dtype.kind == "U" and obj.size <= MAX_ITEMS:
        return {"t": "ndstr", "shape": list(obj.shape), "v": [str(v)[:max_str] for v in obj.reshape(-1).tolist()]}
    if isinstance(obj, np.generic) and type(obj).__module__ == "numpy" and obj.dtype.name in NUMPY_DTYPES:
        blobs.append(np.asarray(obj).tobytes())
        return {"t": "npscalar", "dtype": obj.dtype.name, "b": len(blobs) - 1}
    try:
        text = repr(obj)[:200]
    except Exception:  # a repr that raises
        text = ""
    return {"t": "other", "type": type(obj).__name__[:100], "repr": text}


def encode(message: dict[str, Any], max_str: int = MAX_STR) -> bytes:
    """Encode a message (JSON-able dict whose values may hold arrays and tensors) into bytes.

    The child encodes its results (strings cut at ``max_str``); the grader encodes its
    requests with a larger ``max_str`` (source code).
    """
    blobs: list[bytes] = []
    header = json.dumps({k: _encode(v, blobs, 0, [MAX_ITEMS * 4], max_str)
                         for k, v in message.items()}).encode()
    sizes = [len(b) for b in blobs]
    head = json.dumps({"h": len(header), "sizes": sizes}).encode()
    return struct.pack("<I", len(head)) + head + header + b"".join(blobs)


class _Budget:
    """What decoding one message may still build: nodes and array bytes."""

    def __init__(self, max_str: int) -> None:
        self.nodes = MAX_ITEMS * 8
        self.bytes = MAX_DECODED_BYTES
        self.max_str = max_str

    def spend(self, nodes: int = 1, nbytes: int = 0) -> None:
        self.nodes -= nodes
        self.bytes -= nbytes
        if self.nodes < 0 or self.bytes < 0:
            raise DecodeError("the message would decode to more than the grader accepts")


def _decode(node: Any, blobs: list[memoryview], depth: int, budget: _Budget) -> Any:
    if depth > MAX_DEPTH + 2:
        raise DecodeError("nested too deeply")
    budget.spend()
    if node is None or isinstance(node, (bool, int, float)):
        return node
    if not isinstance(node, dict) or not isinstance(node.get("t"), str):
        raise DecodeError("unexpected node")
    t = node["t"]
    if t == "str":
        return str(node.get("v", ""))[:budget.max_str]
    if t == "model":
        if node.get("v") not in ("gen", "classifier"):
            raise DecodeError("unknown model")
        return ModelRef(node["v"])
    if t == "float":
        return float(node["v"]) if node["v"] in ("nan", "inf", "-inf") else math.nan
    if t in ("list", "tuple"):
        items = [_decode(v, blobs, depth + 1, budget) for v in node.get("v", [])[:MAX_ITEMS]]
        return items if t == "list" else tuple(items)
    if t == "dict":
        out = {}
        for pair in node.get("v", [])[:MAX_ITEMS]:
            key = _decode(pair[0], blobs, depth + 1, budget)
            out[key if isinstance(key, (str, int, float, bool, type(None), tuple)) else repr(key)] = _decode(
                pair[1], blobs, depth + 1, budget)
        return out
    if t == "ndstr":
        values = node.get("v")
        shape = node.get("shape")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or \
                not isinstance(shape, list) or math.prod(shape) != len(values):
            raise DecodeError("bad string array")
        budget.spend(len(values), sum(len(v) for v in values))
        return np.array(values, dtype=str).reshape(shape)
    if t in ("nd", "torch", "npscalar"):
        name = node["np"] if t == "torch" else node["dtype"]
        if name not in NUMPY_DTYPES:
            raise DecodeError(f"dtype {name!r} not allowed")
        index = node.get("b")
        if not isinstance(index, int) or not 0 <= index < len(blobs):
            raise DecodeError("bad blob index")
        budget.spend(nbytes=len(blobs[index]))
        arr = np.frombuffer(blobs[index], dtype=np.dtype(name)).copy()
        if t == "npscalar":
            if arr.size != 1:
                raise DecodeError("bad scalar")
            return arr[0]
        shape = node.get("shape")
        if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape) \
                or len(shape) > 32 or math.prod(shape) != arr.size:
            raise DecodeError("bad shape")
        arr = arr.reshape(shape)
        if t == "nd":
            return arr
        import torch

        tensor = torch.from_numpy(arr)
        if node.get("dtype") == "torch.bfloat16":
            tensor = tensor.to(torch.bfloat16)
        if node.get("grad") is True and tensor.is_floating_point():
            tensor.requires_grad_(True)  # only a flag: the student's graph stays in the child
        if node.get("hasgrad") is True and tensor.is_floating_point():
            tensor.grad = torch.zeros_like(tensor)  # only that a gradient was left on it
        return tensor
    if t == "other":
        shape = node.get("shape")
        if not (isinstance(shape, list) and len(shape) <= MAX_DEPTH
                and all(type(n) is int and 0 <= n < 2**63 for n in shape)):
            shape = None
        return Opaque(str(node.get("type", "object"))[:100], str(node.get("repr", ""))[:200],
                      tuple(shape) if shape is not None else None)
    raise DecodeError(f"unknown node type {t!r}")


def _bounded_json(data: bytes, what: str, max_bytes: int, max_values: int) -> Any:
    """``json.loads(data)`` once its size and the number of values it can build are known to be within bounds."""
    if len(data) > max_bytes:
        raise DecodeError(f"the {what} is {len(data)} bytes, over the {max_bytes} the grader reads")
    values = data.count(b"[") + data.count(b"{") + data.count(b",") + data.count(b":")
    if values > max_values:
        raise DecodeError(f"the {what} holds too many values ({values})")
    return json.loads(data)


def decode(data: bytes, max_str: int = MAX_STR, max_header: int = MAX_HEADER_BYTES,
           max_values: int = MAX_JSON_VALUES) -> dict[str, Any]:
    """Decode one message. Never executes anything; bounds what it builds, before it builds it.

    The defaults bound what the grader reads from a child; the child reads the grader's request
    (source code) with larger ones.

    Raises:
        DecodeError: If the bytes are not a well-formed message, or would decode to more than the bounds.
    """
    try:
        (n,) = struct.unpack_from("<I", data, 0)
        head = _bounded_json(data[4:4 + n], "message's table", 4 * 2**20, max_values)
        h, sizes = int(head["h"]), [int(s) for s in head["sizes"][:MAX_ITEMS * 4 + 1]]
        if len(sizes) > MAX_ITEMS * 4:
            raise DecodeError("too many arrays in one message")
        pos = 4 + n
        header = _bounded_json(data[pos:pos + h], "message's header", max_header, max_values)
        pos += h
        blobs = []
        view = memoryview(data)  # the arrays' bytes are read in place, copied once into each array built
        for size in sizes:
            if size < 0 or pos + size > len(data):
                raise DecodeError("truncated message")
            blobs.append(view[pos:pos + size])
            pos += size
        if not isinstance(header, dict):
            raise DecodeError("header is not an object")
        budget = _Budget(max_str)
        return {str(k): _decode(v, blobs, 0, budget) for k, v in header.items()}
    except DecodeError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, struct.error, RecursionError) as err:
        raise DecodeError(f"malformed message ({type(err).__name__})") from err


def frame(payload: bytes) -> bytes:
    """Prefix a payload with its length for the result pipe."""
    return struct.pack("<Q", len(payload)) + payload
