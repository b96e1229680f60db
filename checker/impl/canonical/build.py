"""Build (once) and load the cffi binding over canonical/raft's test fixture.

API mode: a small C module is compiled against Debian's headers (``libraft-dev``:
``/usr/include/raft.h``, ``raft/fixture.h``) and linked with ``-lraft``, so struct
layouts come from the real headers, never from a copy here. The compiled module is
cached under a key that hashes this file's C text, the headers and the Python ABI: in
``$RAFTCHECK_CACHE`` or the user cache dir (``$XDG_CACHE_HOME/raftcheck``, by default
``~/.cache/raftcheck``), or a directory the caller names (tests use ``tmp_path``). It is
compiled in a temporary directory and renamed into place, so a reader never loads a
half-written artefact and two processes building at once both end with a whole one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from checker.errors import RaftcheckError

#: The Debian packages that provide the library and its headers.
APT_PACKAGES = "libraft-dev (canonical/raft 0.15; it pulls in libraft2)"
INCLUDE_DIRS = (Path("/usr/include"), Path("/usr/local/include"))

MODULE = "_raftcheck_canonical_raft"


class LibraftMissing(RaftcheckError):
    """canonical/raft (its headers or cffi or a C compiler) is not installed here."""


# What Python sees. Structs are declared partially (``...;``): the compiler fills in the
# offsets from the real headers. The union inside struct raft is read by C helpers.
CDEF = """
typedef unsigned long long raft_id;
typedef unsigned long long raft_term;
typedef unsigned long long raft_index;
typedef unsigned long long raft_time;

struct raft_fixture_event { unsigned server_index; int type; };
struct raft_fixture {
    raft_time time;
    unsigned n;
    raft_id leader_id;
    raft_index commit_index;
    ...;
};
struct raft { raft_id id; raft_term current_term; raft_id voted_for;
              raft_index commit_index; raft_index last_applied; raft_index last_stored;
              unsigned short state; unsigned election_timeout; bool pre_vote; ...; };
struct raft_configuration { ...; };

#define RAFT_FIXTURE_TICK ...
#define RAFT_FIXTURE_NETWORK ...
#define RAFT_FIXTURE_DISK ...
#define RAFT_UNAVAILABLE ...
#define RAFT_FOLLOWER ...
#define RAFT_CANDIDATE ...
#define RAFT_LEADER ...
#define RAFT_COMMAND ...
#define RAFT_BARRIER ...
#define RAFT_CHANGE ...
#define RAFT_FIXTURE_MAX_SERVERS ...

int raft_fixture_initialize(struct raft_fixture *f);
void raft_fixture_close(struct raft_fixture *f);
int raft_fixture_configuration(struct raft_fixture *f, unsigned n_voting,
                               struct raft_configuration *conf);
int raft_fixture_bootstrap(struct raft_fixture *f, struct raft_configuration *conf);
int raft_fixture_start(struct raft_fixture *f);
struct raft *raft_fixture_get(struct raft_fixture *f, unsigned i);
bool raft_fixture_alive(struct raft_fixture *f, unsigned i);
unsigned raft_fixture_leader_index(struct raft_fixture *f);
void raft_fixture_elect(struct raft_fixture *f, unsigned i);
void raft_fixture_depose(struct raft_fixture *f);
struct raft_fixture_event *raft_fixture_step(struct raft_fixture *f);
void raft_fixture_hook(struct raft_fixture *f,
                       void (*hook)(struct raft_fixture *, struct raft_fixture_event *));
void raft_fixture_disconnect(struct raft_fixture *f, unsigned i, unsigned j);
void raft_fixture_reconnect(struct raft_fixture *f, unsigned i, unsigned j);
void raft_fixture_kill(struct raft_fixture *f, unsigned i);
void raft_fixture_revive(struct raft_fixture *f, unsigned i);
void raft_fixture_set_randomized_election_timeout(struct raft_fixture *f, unsigned i,
                                                  unsigned msecs);
void raft_configuration_close(struct raft_configuration *c);
void raft_set_pre_vote(struct raft *r, bool enabled);
void raft_set_snapshot_threshold(struct raft *r, unsigned n);
const char *raft_strerror(int errnum);

/* Helpers (C below). */
struct rc_view {
    unsigned long long term, vote, commit, last_index, last_term, log_hash;
    int state, in_pre_vote, alive;
};
int rc_grow(struct raft_fixture *f);
int rc_bootstrap_start(struct raft_fixture *f, unsigned n_voting);
void rc_views(struct raft_fixture *f, struct rc_view *out);
unsigned rc_log(struct raft_fixture *f, unsigned i, unsigned long long *terms,
                int *types, unsigned long long *values, unsigned max);
int rc_apply(struct raft_fixture *f, unsigned i, unsigned long long value);
void rc_close(struct raft_fixture *f);
struct rc_msg {
    int kind; unsigned server; int type; unsigned long long peer, term, a, b, c, d; int flag;
};
unsigned rc_drain(struct rc_msg *out, unsigned max);

extern "Python" void rc_hook(struct raft_fixture *, struct raft_fixture_event *);
"""

# The C side: an FSM that sums the values it applies (the fixture needs one per server),
# client entries whose request memory the apply callback frees, and views of each
# server's struct raft (the union and the circular log buffer are easier read in C).
SOURCE = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <raft.h>
#include <raft/fixture.h>

struct rc_view {
    unsigned long long term, vote, commit, last_index, last_term, log_hash;
    int state, in_pre_vote, alive;
};

static uint64_t rc_sums[RAFT_FIXTURE_MAX_SERVERS];

/* Every message a server sends (io->send) or receives (the recv callback), in order, until
 * Python drains them after the step: the fixture itself keeps no such record. */
struct rc_msg {
    int kind; unsigned server; int type; unsigned long long peer, term, a, b, c, d; int flag;
};
#define RC_MAX_MSGS 4096
static struct rc_msg rc_msgs[RC_MAX_MSGS];
static unsigned rc_n_msgs, rc_lost_msgs;
static struct raft_io *rc_ios[RAFT_FIXTURE_MAX_SERVERS];
static int (*rc_orig_start[RAFT_FIXTURE_MAX_SERVERS])(struct raft_io *, unsigned,
                                                      raft_io_tick_cb, raft_io_recv_cb);
static int (*rc_orig_send[RAFT_FIXTURE_MAX_SERVERS])(struct raft_io *, struct raft_io_send *,
                                                     const struct raft_message *,
                                                     raft_io_send_cb);
static raft_io_recv_cb rc_orig_recv[RAFT_FIXTURE_MAX_SERVERS];

static unsigned rc_index(struct raft_io *io)
{
    unsigned i;
    for (i = 0; i < RAFT_FIXTURE_MAX_SERVERS; i++)
        if (rc_ios[i] == io) return i;
    abort(); /* every io was registered by rc_grow */
}

static void rc_note(int kind, unsigned server, const struct raft_message *m)
{
    struct rc_msg *r;
    if (rc_n_msgs >= RC_MAX_MSGS) { rc_lost_msgs++; return; }
    r = &rc_msgs[rc_n_msgs++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->server = server;
    r->type = m->type;
    r->peer = m->server_id;
    switch (m->type) {
        case RAFT_IO_REQUEST_VOTE:
            r->term = m->request_vote.term;
            r->a = m->request_vote.last_log_index;
            r->b = m->request_vote.last_log_term;
            r->flag = (m->request_vote.pre_vote ? 1 : 0) | (m->request_vote.disrupt_leader ? 2 : 0);
            break;
        case RAFT_IO_REQUEST_VOTE_RESULT:
            r->term = m->request_vote_result.term;
            r->flag = (m->request_vote_result.vote_granted ? 1 : 0) |
                      (m->request_vote_result.pre_vote == raft_tribool_true ? 2 : 0);
            break;
        case RAFT_IO_APPEND_ENTRIES:
            r->term = m->append_entries.term;
            r->a = m->append_entries.prev_log_index;
            r->b = m->append_entries.prev_log_term;
            r->c = m->append_entries.leader_commit;
            r->d = m->append_entries.n_entries;
            break;
        case RAFT_IO_APPEND_ENTRIES_RESULT:
            r->term = m->append_entries_result.term;
            r->a = m->append_entries_result.rejected;
            r->b = m->append_entries_result.last_log_index;
            break;
        default:
            break;
    }
}

static void rc_recv(struct raft_io *io, struct raft_message *m)
{
    unsigned i = rc_index(io);
    rc_note(1, i, m);
    rc_orig_recv[i](io, m);
}

static int rc_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                    raft_io_recv_cb recv)
{
    unsigned i = rc_index(io);
    rc_orig_recv[i] = recv;
    return rc_orig_start[i](io, msecs, tick, rc_recv);
}

static int rc_send(struct raft_io *io, struct raft_io_send *req, const struct raft_message *m,
                   raft_io_send_cb cb)
{
    unsigned i = rc_index(io);
    rc_note(2, i, m);
    return rc_orig_send[i](io, req, m, cb);
}

unsigned rc_drain(struct rc_msg *out, unsigned max)
{
    unsigned n = rc_n_msgs < max ? rc_n_msgs : max;
    memcpy(out, rc_msgs, n * sizeof *out);
    if (rc_lost_msgs > 0 || n < rc_n_msgs) { rc_n_msgs = 0; rc_lost_msgs = 0; return (unsigned)-1; }
    rc_n_msgs = 0;
    return n;
}
static struct raft_fsm rc_fsms[RAFT_FIXTURE_MAX_SERVERS];

static int rc_fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    uint64_t v = 0;
    if (buf->len == sizeof v) memcpy(&v, buf->base, sizeof v);
    *(uint64_t *)fsm->data += v;
    *result = NULL;
    return 0;
}

static int rc_fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n)
{
    *bufs = raft_malloc(sizeof **bufs);
    if (*bufs == NULL) return RAFT_NOMEM;
    (*bufs)[0].len = sizeof(uint64_t);
    (*bufs)[0].base = raft_malloc(sizeof(uint64_t));
    if ((*bufs)[0].base == NULL) return RAFT_NOMEM;
    memcpy((*bufs)[0].base, fsm->data, sizeof(uint64_t));
    *n = 1;
    return 0;
}

static int rc_fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    if (buf->len == sizeof(uint64_t)) memcpy(fsm->data, buf->base, sizeof(uint64_t));
    raft_free(buf->base);
    return 0;
}

int rc_grow(struct raft_fixture *f)
{
    unsigned i = f->n;
    struct raft_io *io;
    int rv;
    if (i >= RAFT_FIXTURE_MAX_SERVERS) return RAFT_TOOMANY;
    rc_sums[i] = 0;
    memset(&rc_fsms[i], 0, sizeof rc_fsms[i]);
    rc_fsms[i].version = 1;
    rc_fsms[i].data = &rc_sums[i];
    rc_fsms[i].apply = rc_fsm_apply;
    rc_fsms[i].snapshot = rc_fsm_snapshot;
    rc_fsms[i].restore = rc_fsm_restore;
    rv = raft_fixture_grow(f, &rc_fsms[i]);
    if (rv != 0) return rv;
    /* Wrap the in-memory io's start (to see its recv callback) and send. */
    io = f->servers[i].raft.io;
    rc_ios[i] = io;
    rc_orig_start[i] = io->start;
    rc_orig_send[i] = io->send;
    io->start = rc_start;
    io->send = rc_send;
    if (i == 0) { rc_n_msgs = 0; rc_lost_msgs = 0; }
    return 0;
}

int rc_bootstrap_start(struct raft_fixture *f, unsigned n_voting)
{
    struct raft_configuration conf;
    unsigned i;
    int rv = raft_fixture_configuration(f, n_voting, &conf);
    if (rv != 0) return rv;
    rv = raft_fixture_bootstrap(f, &conf);
    raft_configuration_close(&conf);
    if (rv != 0) return rv;
    /* The model has no snapshots: keep every entry in the log. */
    for (i = 0; i < f->n; i++) raft_set_snapshot_threshold(raft_fixture_get(f, i), 1u << 30);
    return raft_fixture_start(f);
}

static size_t rc_log_n(const struct raft_log *l)
{
    return l->back >= l->front ? l->back - l->front : l->size - l->front + l->back;
}

static const struct raft_entry *rc_log_at(const struct raft_log *l, size_t k)
{
    return &l->entries[(l->front + k) % l->size];
}

static uint64_t rc_value(const struct raft_entry *e)
{
    uint64_t v = 0;
    if (e->type == RAFT_COMMAND && e->buf.len == sizeof v) memcpy(&v, e->buf.base, sizeof v);
    return v;
}

void rc_views(struct raft_fixture *f, struct rc_view *out)
{
    unsigned i;
    for (i = 0; i < f->n; i++) {
        struct raft *r = raft_fixture_get(f, i);
        const struct raft_log *l = &r->log;
        size_t n = rc_log_n(l), k;
        uint64_t h = 1469598103934665603ULL; /* FNV-1a over (term, type, value) */
        for (k = 0; k < n; k++) {
            const struct raft_entry *e = rc_log_at(l, k);
            h = (h ^ e->term) * 1099511628211ULL;
            h = (h ^ e->type) * 1099511628211ULL;
            h = (h ^ rc_value(e)) * 1099511628211ULL;
        }
        out[i].term = r->current_term;
        out[i].vote = r->voted_for;
        out[i].commit = r->commit_index;
        out[i].last_index = l->offset + n;
        out[i].last_term = n > 0 ? rc_log_at(l, n - 1)->term : l->snapshot.last_term;
        out[i].log_hash = h ^ l->offset;
        out[i].state = r->state;
        out[i].in_pre_vote = r->state == RAFT_CANDIDATE && r->candidate_state.in_pre_vote;
        out[i].alive = raft_fixture_alive(f, i);
    }
}

unsigned rc_log(struct raft_fixture *f, unsigned i, unsigned long long *terms, int *types,
                unsigned long long *values, unsigned max)
{
    const struct raft_log *l = &raft_fixture_get(f, i)->log;
    size_t n = rc_log_n(l), k;
    if (l->offset != 0) return (unsigned)-1; /* a snapshot: not expected, never hidden */
    for (k = 0; k < n && k < max; k++) {
        const struct raft_entry *e = rc_log_at(l, k);
        terms[k] = e->term;
        types[k] = e->type;
        values[k] = rc_value(e);
    }
    return (unsigned)n;
}

struct rc_apply_req { struct raft_apply req; };

static void rc_apply_cb(struct raft_apply *req, int status, void *result)
{
    (void)status;
    (void)result;
    free(req);
}

int rc_apply(struct raft_fixture *f, unsigned i, unsigned long long value)
{
    struct raft_buffer buf;
    struct raft_apply *req = malloc(sizeof *req);
    uint64_t v = value;
    int rv;
    if (req == NULL) return RAFT_NOMEM;
    buf.len = sizeof v;
    buf.base = raft_malloc(buf.len);
    if (buf.base == NULL) { free(req); return RAFT_NOMEM; }
    memcpy(buf.base, &v, sizeof v);
    rv = raft_apply(raft_fixture_get(f, i), req, &buf, 1, rc_apply_cb);
    if (rv != 0) { raft_free(buf.base); free(req); }
    return rv;
}

void rc_close(struct raft_fixture *f)
{
    raft_fixture_hook(f, NULL);
    raft_fixture_close(f);
}
"""


def _headers() -> list[Path]:
    for d in INCLUDE_DIRS:
        if (d / "raft.h").is_file() and (d / "raft" / "fixture.h").is_file():
            return [d / "raft.h", d / "raft" / "fixture.h"]
    return []


def cache_key() -> str:
    """Hash of everything the compiled module depends on (stable across processes)."""
    h = hashlib.sha256()
    h.update(CDEF.encode())
    h.update(SOURCE.encode())
    h.update((sysconfig.get_config_var("EXT_SUFFIX") or "").encode())
    h.update(sys.version.encode())
    for p in _headers():
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    env = os.environ.get("RAFTCHECK_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "raftcheck"


def missing() -> str | None:
    """Why the binding cannot be built here (one line naming what to install), or None."""
    if not _headers():
        return f"canonical/raft's headers are not installed: apt-get install {APT_PACKAGES}"
    if importlib.util.find_spec("cffi") is None:
        return "the Python package cffi is not installed: pip install cffi"
    if shutil.which(os.environ.get("CC", "cc")) is None and shutil.which("gcc") is None:
        return "no C compiler (cc) to build the binding: apt-get install gcc"
    return None


def _compile(target: Path) -> None:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source(MODULE, SOURCE, libraries=["raft"])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        built = Path(ffi.compile(tmpdir=str(tmp), verbose=False))
        staged = tmp / target.name
        built.replace(staged)
        os.replace(staged, target)  # atomic: a whole module or none
    except Exception as e:
        raise LibraftMissing(
            f"could not build the canonical/raft binding ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}); is {APT_PACKAGES} installed?"
        ) from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_LOADED: dict[Path, ModuleType] = {}


def load(cache_dir: Path | None = None) -> Any:
    """The compiled module (``.ffi``, ``.lib``), built at first use; raises
    ``LibraftMissing`` with what to install when it cannot be built."""
    why = missing()
    if why is not None:
        raise LibraftMissing(why)
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    target = (cache_dir or default_cache_dir()) / f"canonical-{cache_key()}" / f"{MODULE}{suffix}"
    if target in _LOADED:
        return _LOADED[target]
    if not target.is_file():
        _compile(target)
    # One extension module name per process: a second cache dir loads the first module.
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    spec = importlib.util.spec_from_file_location(MODULE, target)
    if spec is None or spec.loader is None:
        raise LibraftMissing(f"cannot load the compiled binding {target}")
    try:
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    except ImportError as e:
        raise LibraftMissing(f"cannot load the binding ({e}); install {APT_PACKAGES}") from e
    sys.modules[MODULE] = mod
    _LOADED[target] = mod
    return mod
