"""A partitioned breadth-first search on Dask (``raftcheck check --engine distributed``).

Each worker owns a partition of the fingerprint space (fingerprint mod N), keeps the
visited set, the parent pointers and the frontier of its partition, and expands its own
frontier; successors travel to their owner in one pickled batch per (sender, owner) and
level, worker to worker (the distributed Murphi / PReach scheme: Stern and Dill 1997,
Bingham et al. 2010). The levels stay synchronous, so the distinct and generated counts,
the depth and the coverage are those of one process and a counterexample is a shortest
one. ``partition`` is the per-worker part and knows no Dask; ``search`` drives it on a
Dask cluster (a local one, or ``--address`` of an existing one).

It may import ``checker.engine``, ``checker.errors`` and ``checker.files``: it explores
any engine ``Model`` and knows no protocol. Dask is an optional extra
(``pip install -e '.[distributed]'``); ``search.available`` says whether it is installed.
"""
