"""Observed-trace validation: is a log from a running implementation a behaviour of raftmodel?

``events`` reads the NDJSON format of docs/observed-traces.md (and ITF with partial
states) into one merged sequence of events; ``match`` keeps the set of raftmodel cluster
states consistent with the events, one event at a time, through ``cluster.apply`` and
``node.step`` (no Raft rule here); ``project`` turns a model run into the events an
implementation would log (tests, bench). May import raftmodel, checker.raft,
checker.traces, checker.engine, checker.errors and checker.files.
"""
