"""Drivers of real Raft implementations: each runs an implementation nobody here wrote
under a seeded schedule and records what it does as an observed trace
(docs/observed-traces.md), which ``checker.observed`` validates against raftmodel.

May import ``checker.observed`` (the matcher), ``checker.errors`` and ``checker.files``;
never raftmodel directly (the Raft rules are the matcher's to apply), never a command.
"""
