"""What a run leaves for CI and for people: JUnit XML, SARIF 2.1.0, a Markdown summary for
GitHub Actions, and the HTML space-time viewer of an ITF trace.

``record`` holds what one verb judged (its cases, its findings with their traces), filled by
the command layer; ``junit``, ``sarif`` and ``markdown`` render records; ``source`` finds the
raftmodel function a step ran (for SARIF's thread flows); ``view`` renders a trace as one
self-contained HTML page. Pure functions over values: nothing here parses arguments or prints.

May import raftmodel, checker.raft, checker.traces, checker.engine, checker.errors and
checker.files (docs/architecture.md).
"""
