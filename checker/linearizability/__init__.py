"""Linearizability of client histories (Herlihy & Wing 1990): could every operation have
taken effect at one instant between its invocation and its completion, in an order that
the object's sequential specification accepts?

- ``edn``: a strict EDN subset parser (Jepsen's operation maps);
- ``formats``: history readers (Jepsen EDN lines, jepsen.util log lines, JSON lines) and
  writers, each refusing bad input with its line;
- ``history``: events to operations, well-formedness, ``:info`` as an unknown outcome;
- ``models``: the objects (register, cas-register, kv, lock), each a record of pure
  functions as in Porcupine's ``model.go``;
- ``search``: Wing & Gong's search with Lowe's cache, per independent part, under a
  budget that answers UNKNOWN;
- ``picture``: the overlapping operations around a violation, as data and as text;
- ``generate``: seeded linearizable histories (and injected violations) for tests and
  the bench.

It checks histories from anywhere, so it imports only ``checker.errors`` and
``checker.files``: never raftmodel or another checker package.
"""
