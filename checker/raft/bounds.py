"""One table for the bounds: each ``raftmodel.cluster.Bounds`` field with its command-line
flag, its key in an ITF trace's ``#meta.config.bounds`` and its TLA+ constant.

The CLI's model options, the ITF encoder and decoder, the TLC config writer and the
``check`` header all read this table, so a new bound is added in one place.
"""

from __future__ import annotations

from typing import NamedTuple

from raftmodel.cluster import Bounds


class BoundField(NamedTuple):
    #: The ``Bounds`` field.
    field: str
    #: The command-line flag.
    flag: str
    #: The key in ITF's ``#meta.config.bounds``.
    itf: str
    #: The TLA+ constant of spec/MCRaft.tla.
    tla: str
    #: What it bounds, as an action guard (docs/actions.md).
    about: str
    #: Whether ``None`` (unbounded) is allowed.
    optional: bool = True
    #: The least value allowed (a bound that is not optional).
    minimum: int = 0
    #: Meaningful with the bag network only (the CLI refuses it with the set network).
    bag_only: bool = False
    #: The value an ITF trace leaves out of ``#meta.config.bounds`` and its reader assumes
    #: when the key is absent: traces written before the bound existed read unchanged.
    elided: int | None = None
    #: A model option shown (check header, TLC cfg, preset table) only when it differs
    #: from ``elided``: the outputs written before it existed stay byte for byte.
    quiet: bool = False


BOUND_FIELDS: tuple[BoundField, ...] = (
    BoundField("max_term", "--max-term", "maxTerm", "MaxTerm", "Timeout guard: currentTerm < MAX"),
    BoundField(
        "max_log", "--max-log", "maxLogLen", "MaxLogLen", "ClientRequest guard: len(log) < MAX"
    ),
    BoundField(
        "max_restarts",
        "--max-restarts",
        "maxRestarts",
        "MaxRestarts",
        "Restart guard: restarts < MAX",
    ),
    BoundField(
        "max_requests",
        "--max-requests",
        "maxClientRequests",
        "MaxClientRequests",
        "ClientRequest guard: requests < MAX",
    ),
    BoundField(
        "max_copies",
        "--max-copies",
        "maxCopies",
        "MaxCopies",
        "bag only: copies of one message in flight",
        optional=False,
        minimum=1,
        bag_only=True,
    ),
    BoundField(
        "max_batch",
        "--max-batch",
        "maxBatch",
        "MaxBatch",
        "SendAppendEntries: entries per AppendEntries, each size 1..MAX its own action; "
        "0 sends the whole suffix",
        optional=False,
        elided=0,
    ),
    BoundField(
        "refusal_hint",
        "--refusal-hint",
        "refusalHint",
        "RefusalHint",
        "1: a refused AppendEntries carries the follower's last log index and the leader "
        "moves nextIndex with it (§5.3, as canonical/raft and etcd); 0: Figure 2's "
        "one-entry decrement",
        optional=False,
        elided=0,
        quiet=True,
    ),
)

assert {b.field for b in BOUND_FIELDS} | {"values"} == set(Bounds._fields), (
    "every Bounds field is in the table (values is a set, handled on its own)"
)


def show(v: int | None) -> str:
    return "none" if v is None else str(v)


def shown(f: BoundField, b: Bounds) -> bool:
    """Is ``f`` written out for ``b``? Always, unless a quiet option at its default."""
    return not (f.quiet and getattr(b, f.field) == f.elided)


def describe(b: Bounds) -> str:
    """The bounds as ``max_term=1 max_log=1 ...`` (the check header's words)."""
    return " ".join(f"{f.field}={show(getattr(b, f.field))}" for f in BOUND_FIELDS if shown(f, b))
