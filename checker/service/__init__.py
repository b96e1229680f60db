"""The service on raftmodel (``raftmodel.service``) as a model the engine explores: its
properties (the client history is linearizable, fenced writes keep the grant order, and
every Raft property of ``checker.raft`` on the cluster underneath), the histories it
writes (JSON lines, ITF), and the counterexample report.

May import raftmodel, ``checker.engine``, ``checker.raft``, ``checker.traces`` and
``checker.linearizability`` (the one checker that judges every history).
"""
