/* The compiled fast path of the GFF3 checker (docs/gff.md, "Speed").
 *
 * Two parts:
 *
 * IdTable: a compact hash table from ID bytes to the record the Python reference path keeps per
 *   open ID (runtime/gff/gff3.py: line | key index << 40 | Parent sign << 72). Keys live in one
 *   byte arena, entries in one array (40 bytes each), slots are 32-bit indexes. It offers the
 *   part of the dict/set interface gff3.py uses (get, [], in, items, clear, isdisjoint, update),
 *   so the reference path runs unchanged on it. Used for the open IDs and for the closed ones.
 *
 * scan(g, text, base, line_limit): checks the complete lines of `text` (each ends in '\n') for the
 *   Gff3 object `g`. A line it proves plainly valid is checked here, with the ID/Parent
 *   bookkeeping done on g.ids; every other line goes to g.line(), the reference, and every event
 *   that produces a message (a repeated ID, a Parent on another seqid, a CDS segment) goes to the
 *   reference method that words it, so both paths report the same errors in the same order.
 *   It stops before a line longer than line_limit and after a line that starts the FASTA section,
 *   and returns (bytes consumed, lines consumed).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static Py_hash_t hash_bytes(const char *p, Py_ssize_t n) {
#if PY_VERSION_HEX >= 0x030E0000
    return Py_HashBuffer(p, n);
#else
    return _Py_HashBytes(p, n);
#endif
}

/* ------------------------------------------------------------------ the table */

#define SIGN_FLAG 0x80000000u /* in kidx: the ID has a Parent sign */
#define LINE_BITS 40

typedef struct {
    uint64_t hash;
    uint64_t off;   /* key bytes at arena + off */
    uint32_t len;
    uint32_t kidx;  /* key index (31 bits) | SIGN_FLAG */
    uint64_t line;
    uint64_t sign;  /* the 64-bit hash part of the Parent sign */
} Entry;

typedef struct {
    PyObject_HEAD
    char *arena;
    size_t arena_len, arena_cap;
    Entry *entries;
    size_t count, entries_cap;
    uint32_t *slots; /* entry index + 1; 0: empty */
    size_t mask;     /* slot count - 1; slot count 0 until the first insert */
} IdTable;

static PyTypeObject IdTableType;

static void table_free(IdTable *t) {
    PyMem_RawFree(t->arena);
    PyMem_RawFree(t->entries);
    PyMem_RawFree(t->slots);
    t->arena = NULL;
    t->entries = NULL;
    t->slots = NULL;
    t->arena_len = t->arena_cap = t->count = t->entries_cap = 0;
    t->mask = 0;
}

static Entry *table_find(IdTable *t, const char *p, size_t n, uint64_t h) {
    if (!t->slots)
        return NULL;
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint32_t s = t->slots[i];
        if (!s)
            return NULL;
        Entry *e = &t->entries[s - 1];
        if (e->hash == h && e->len == n && memcmp(t->arena + e->off, p, n) == 0)
            return e;
        i = (i + 1) & t->mask;
    }
}

static int table_grow_slots(IdTable *t) {
    size_t cap = t->slots ? (t->mask + 1) * 2 : 64;
    if (cap > ((size_t)1 << 32)) {
        PyErr_SetString(PyExc_MemoryError, "too many IDs");
        return -1;
    }
    uint32_t *slots = PyMem_RawCalloc(cap, sizeof(uint32_t));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = cap - 1;
    for (size_t k = 0; k < t->count; k++) {
        size_t i = (size_t)t->entries[k].hash & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = (uint32_t)(k + 1);
    }
    PyMem_RawFree(t->slots);
    t->slots = slots;
    t->mask = mask;
    return 0;
}

/* Insert a key known to be absent; returns the new entry or NULL (exception set). */
static Entry *table_insert(IdTable *t, const char *p, size_t n, uint64_t h) {
    if (n > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "ID too long");
        return NULL;
    }
    if (!t->slots || (t->count + 1) * 2 > t->mask + 1) {
        if (table_grow_slots(t) < 0)
            return NULL;
    }
    if (t->count == t->entries_cap) {
        size_t cap = t->entries_cap ? t->entries_cap + t->entries_cap / 2 : 32;
        Entry *es = PyMem_RawRealloc(t->entries, cap * sizeof(Entry));
        if (!es) {
            PyErr_NoMemory();
            return NULL;
        }
        t->entries = es;
        t->entries_cap = cap;
    }
    if (t->arena_len + n > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap + t->arena_cap / 2 : 1024;
        if (cap < t->arena_len + n)
            cap = t->arena_len + n;
        char *a = PyMem_RawRealloc(t->arena, cap);
        if (!a) {
            PyErr_NoMemory();
            return NULL;
        }
        t->arena = a;
        t->arena_cap = cap;
    }
    if (n)
        memcpy(t->arena + t->arena_len, p, n);
    Entry *e = &t->entries[t->count];
    e->hash = h;
    e->off = t->arena_len;
    e->len = (uint32_t)n;
    e->kidx = 0;
    e->line = 0;
    e->sign = 0;
    t->arena_len += n;
    size_t i = (size_t)h & t->mask;
    while (t->slots[i])
        i = (i + 1) & t->mask;
    t->slots[i] = (uint32_t)(t->count + 1);
    t->count++;
    return e;
}

/* record = line | kidx << 40 | (flag << 64 | sign) << 72, as gff3.py builds it */
static PyObject *record_of(const Entry *e) {
    PyObject *sign = NULL, *r = NULL, *low = NULL, *sh = NULL;
    if (e->kidx & SIGN_FLAG) {
        PyObject *h = PyLong_FromUnsignedLongLong(e->sign);
        PyObject *one = PyLong_FromLong(1);
        PyObject *s64 = PyLong_FromLong(64);
        PyObject *flag = (one && s64) ? PyNumber_Lshift(one, s64) : NULL;
        sign = (h && flag) ? PyNumber_Or(h, flag) : NULL;
        Py_XDECREF(h);
        Py_XDECREF(one);
        Py_XDECREF(s64);
        Py_XDECREF(flag);
    } else {
        sign = PyLong_FromLong(0);
    }
    if (!sign)
        return NULL;
    sh = PyLong_FromLong(72);
    PyObject *high = sh ? PyNumber_Lshift(sign, sh) : NULL;
    Py_DECREF(sign);
    Py_XDECREF(sh);
    if (!high)
        return NULL;
    /* kidx (31 bits) << 40 | line (40 bits) needs 71 bits: build it from two parts */
    PyObject *k = PyLong_FromUnsignedLong(e->kidx & ~SIGN_FLAG);
    PyObject *s40 = PyLong_FromLong(LINE_BITS);
    PyObject *kk = (k && s40) ? PyNumber_Lshift(k, s40) : NULL;
    Py_XDECREF(k);
    Py_XDECREF(s40);
    low = PyLong_FromUnsignedLongLong(e->line);
    PyObject *mid = (kk && low) ? PyNumber_Or(kk, low) : NULL;
    Py_XDECREF(kk);
    Py_XDECREF(low);
    r = mid ? PyNumber_Or(high, mid) : NULL;
    Py_DECREF(high);
    Py_XDECREF(mid);
    return r;
}

static int record_set(Entry *e, PyObject *rec) {
    if (!PyLong_Check(rec)) {
        PyErr_SetString(PyExc_TypeError, "a record is an int");
        return -1;
    }
    unsigned long long low = PyLong_AsUnsignedLongLongMask(rec);
    if (low == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    PyObject *s40 = PyLong_FromLong(LINE_BITS), *s72 = PyLong_FromLong(72), *s64 = PyLong_FromLong(64);
    PyObject *a = (s40) ? PyNumber_Rshift(rec, s40) : NULL;
    PyObject *sign = (s72) ? PyNumber_Rshift(rec, s72) : NULL;
    PyObject *flag = (sign && s64) ? PyNumber_Rshift(sign, s64) : NULL;
    int rc = -1;
    if (a && sign && flag) {
        unsigned long long kidx = PyLong_AsUnsignedLongLongMask(a) & 0xffffffffULL;
        unsigned long long h = PyLong_AsUnsignedLongLongMask(sign);
        int has = PyObject_IsTrue(flag);
        if (!PyErr_Occurred() && has >= 0) {
            if (kidx & SIGN_FLAG) {
                PyErr_SetString(PyExc_OverflowError, "key index too large");
            } else {
                e->line = low & (((uint64_t)1 << LINE_BITS) - 1);
                e->kidx = (uint32_t)kidx | (has ? SIGN_FLAG : 0);
                e->sign = has ? h : 0;
                rc = 0;
            }
        }
    }
    Py_XDECREF(s40);
    Py_XDECREF(s72);
    Py_XDECREF(s64);
    Py_XDECREF(a);
    Py_XDECREF(sign);
    Py_XDECREF(flag);
    return rc;
}

static int key_bytes(PyObject *key, const char **p, Py_ssize_t *n) {
    if (!PyBytes_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "IdTable keys are bytes");
        return -1;
    }
    *p = PyBytes_AS_STRING(key);
    *n = PyBytes_GET_SIZE(key);
    return 0;
}

static Entry *table_lookup_obj(IdTable *t, PyObject *key, int *err) {
    const char *p;
    Py_ssize_t n;
    *err = 0;
    if (key_bytes(key, &p, &n) < 0) {
        *err = 1;
        return NULL;
    }
    return table_find(t, p, (size_t)n, (uint64_t)hash_bytes(p, n));
}

static PyObject *IdTable_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    if ((kw && PyDict_GET_SIZE(kw)) || PyTuple_GET_SIZE(args)) {
        PyErr_SetString(PyExc_TypeError, "IdTable() takes no arguments");
        return NULL;
    }
    IdTable *t = (IdTable *)type->tp_alloc(type, 0);
    return (PyObject *)t;
}

static void IdTable_dealloc(IdTable *t) {
    table_free(t);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Py_ssize_t IdTable_len(IdTable *t) { return (Py_ssize_t)t->count; }

static int IdTable_contains(IdTable *t, PyObject *key) {
    int err;
    Entry *e = table_lookup_obj(t, key, &err);
    return err ? -1 : e != NULL;
}

static PyObject *IdTable_getitem(IdTable *t, PyObject *key) {
    int err;
    Entry *e = table_lookup_obj(t, key, &err);
    if (err)
        return NULL;
    if (!e) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return record_of(e);
}

static int IdTable_setitem(IdTable *t, PyObject *key, PyObject *value) {
    const char *p;
    Py_ssize_t n;
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "IdTable entries cannot be deleted one by one");
        return -1;
    }
    if (key_bytes(key, &p, &n) < 0)
        return -1;
    uint64_t h = (uint64_t)hash_bytes(p, n);
    Entry *e = table_find(t, p, (size_t)n, h);
    if (!e)
        e = table_insert(t, p, (size_t)n, h);
    if (!e)
        return -1;
    return record_set(e, value);
}

static PyObject *IdTable_get(IdTable *t, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(key[, default])");
        return NULL;
    }
    int err;
    Entry *e = table_lookup_obj(t, args[0], &err);
    if (err)
        return NULL;
    if (e)
        return record_of(e);
    PyObject *d = nargs == 2 ? args[1] : Py_None;
    Py_INCREF(d);
    return d;
}

static PyObject *key_obj(IdTable *t, const Entry *e) {
    return PyBytes_FromStringAndSize(t->arena + e->off, (Py_ssize_t)e->len);
}

static PyObject *IdTable_items(IdTable *t, PyObject *unused) {
    PyObject *out = PyList_New((Py_ssize_t)t->count);
    if (!out)
        return NULL;
    for (size_t k = 0; k < t->count; k++) {
        PyObject *key = key_obj(t, &t->entries[k]);
        PyObject *rec = key ? record_of(&t->entries[k]) : NULL;
        PyObject *pair = rec ? PyTuple_Pack(2, key, rec) : NULL;
        Py_XDECREF(key);
        Py_XDECREF(rec);
        if (!pair) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)k, pair);
    }
    return out;
}

static PyObject *IdTable_keys(IdTable *t, PyObject *unused) {
    PyObject *out = PyList_New((Py_ssize_t)t->count);
    if (!out)
        return NULL;
    for (size_t k = 0; k < t->count; k++) {
        PyObject *key = key_obj(t, &t->entries[k]);
        if (!key) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, (Py_ssize_t)k, key);
    }
    return out;
}

static PyObject *IdTable_iter(IdTable *t) {
    PyObject *keys = IdTable_keys(t, NULL);
    if (!keys)
        return NULL;
    PyObject *it = PyObject_GetIter(keys);
    Py_DECREF(keys);
    return it;
}

static PyObject *IdTable_clear(IdTable *t, PyObject *unused) {
    table_free(t);
    Py_RETURN_NONE;
}

static int check_table(PyObject *other) {
    if (!PyObject_TypeCheck(other, &IdTableType)) {
        PyErr_SetString(PyExc_TypeError, "expected an IdTable");
        return -1;
    }
    return 0;
}

static PyObject *IdTable_isdisjoint(IdTable *t, PyObject *other) {
    if (check_table(other) < 0)
        return NULL;
    IdTable *o = (IdTable *)other;
    IdTable *small = t->count <= o->count ? t : o, *big = small == t ? o : t;
    for (size_t k = 0; k < small->count; k++) {
        const Entry *e = &small->entries[k];
        if (table_find(big, small->arena + e->off, e->len, e->hash))
            Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

static PyObject *IdTable_update(IdTable *t, PyObject *other) {
    if (check_table(other) < 0)
        return NULL;
    IdTable *o = (IdTable *)other;
    if (o == t)
        Py_RETURN_NONE;
    for (size_t k = 0; k < o->count; k++) {
        const Entry *e = &o->entries[k];
        const char *p = o->arena + e->off;
        if (!table_find(t, p, e->len, e->hash)) {
            Entry *n = table_insert(t, p, e->len, e->hash);
            if (!n)
                return NULL;
            n->line = e->line;
            n->kidx = e->kidx;
            n->sign = e->sign;
        }
    }
    Py_RETURN_NONE;
}

static PyObject *IdTable_nbytes(IdTable *t, PyObject *unused) {
    size_t slots = t->slots ? (t->mask + 1) * sizeof(uint32_t) : 0;
    return PyLong_FromSize_t(t->arena_cap + t->entries_cap * sizeof(Entry) + slots);
}

static PyMethodDef IdTable_methods[] = {
    {"get", (PyCFunction)(void (*)(void))IdTable_get, METH_FASTCALL, "get(key[, default]): the record or default"},
    {"items", (PyCFunction)IdTable_items, METH_NOARGS, "[(key, record)] in insertion order"},
    {"keys", (PyCFunction)IdTable_keys, METH_NOARGS, "[key] in insertion order"},
    {"clear", (PyCFunction)IdTable_clear, METH_NOARGS, "remove every key, free the memory"},
    {"isdisjoint", (PyCFunction)IdTable_isdisjoint, METH_O, "no key in common with another IdTable"},
    {"update", (PyCFunction)IdTable_update, METH_O, "add the keys (and records) of another IdTable"},
    {"nbytes", (PyCFunction)IdTable_nbytes, METH_NOARGS, "bytes allocated"},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods IdTable_as_mapping = {
    (lenfunc)IdTable_len,
    (binaryfunc)IdTable_getitem,
    (objobjargproc)IdTable_setitem,
};

static PySequenceMethods IdTable_as_sequence = {
    .sq_length = (lenfunc)IdTable_len,
    .sq_contains = (objobjproc)IdTable_contains,
};

static PyTypeObject IdTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ferryman.runtime.gff._scan.IdTable",
    .tp_basicsize = sizeof(IdTable),
    .tp_dealloc = (destructor)IdTable_dealloc,
    .tp_as_mapping = &IdTable_as_mapping,
    .tp_as_sequence = &IdTable_as_sequence,
    .tp_iter = (getiterfunc)IdTable_iter,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "bytes -> record table of open (or closed) GFF3 IDs; see runtime/gff/gff3.py",
    .tp_methods = IdTable_methods,
    .tp_new = IdTable_new,
};

/* ------------------------------------------------------------------ the scan */

typedef struct {
    PyObject *g;
    IdTable *ids, *closed;
    PyObject *pending, *seqs, *keys, *chains;
    PyObject *m_line, *m_resolve, *m_refer, *m_repeat, *m_cds, *m_close, *m_key_of;
    PyObject *parent_sign;
    IdTable keycache; /* "seqid\tsource\ttype\tstrand" -> key index (in .line) */
    /* the seqid of the last plain line and its bounds */
    PyObject *seqid; /* bytes or NULL */
    int64_t lo, hi;
} Scan;

static PyObject *g_parent_sign = NULL; /* gff3.parent_sign, set by configure() */

static void scan_release(Scan *s) {
    Py_XDECREF(s->ids);
    Py_XDECREF(s->closed);
    Py_XDECREF(s->pending);
    Py_XDECREF(s->seqs);
    Py_XDECREF(s->keys);
    Py_XDECREF(s->chains);
    Py_XDECREF(s->m_line);
    Py_XDECREF(s->m_resolve);
    Py_XDECREF(s->m_refer);
    Py_XDECREF(s->m_repeat);
    Py_XDECREF(s->m_cds);
    Py_XDECREF(s->m_close);
    Py_XDECREF(s->m_key_of);
    Py_XDECREF(s->seqid);
    table_free(&s->keycache);
}

static int64_t clamp_int(PyObject *v) {
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow > 0)
        return INT64_MAX;
    if (overflow < 0)
        return INT64_MIN;
    return (int64_t)x;
}

/* the bounds of a seqid seen on a feature line before; 0: careful path (unknown, or error) */
static int seq_bounds(Scan *s, const char *p, Py_ssize_t n) {
    if (s->seqid && PyBytes_GET_SIZE(s->seqid) == n && memcmp(PyBytes_AS_STRING(s->seqid), p, n) == 0)
        return 1;
    Py_CLEAR(s->seqid);
    PyObject *key = PyBytes_FromStringAndSize(p, n);
    if (!key)
        return -1;
    PyObject *seq = PyDict_GetItemWithError(s->seqs, key); /* borrowed */
    if (!seq) {
        Py_DECREF(key);
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyList_Check(seq) || PyList_GET_SIZE(seq) != 4) {
        Py_DECREF(key);
        return 0;
    }
    int first = PyObject_IsTrue(PyList_GET_ITEM(seq, 3));
    if (first <= 0) {
        Py_DECREF(key);
        return first;
    }
    s->lo = clamp_int(PyList_GET_ITEM(seq, 0));
    s->hi = clamp_int(PyList_GET_ITEM(seq, 1));
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return -1;
    }
    s->seqid = key;
    return 1;
}

/* digits without a leading zero, at most 18 of them; -1 otherwise */
static int64_t plain_int(const char *p, Py_ssize_t n) {
    if (n < 1 || n > 18 || p[0] == '0')
        return -1;
    int64_t v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + d;
    }
    return v;
}

/* [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? : a subset of what float() takes */
static int plain_float(const char *p, Py_ssize_t n) {
    Py_ssize_t i = 0, d = 0;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        i++;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++, d++;
    if (i < n && p[i] == '.') {
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, d++;
    }
    if (!d)
        return 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        Py_ssize_t x = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++, x++;
        if (!x)
            return 0;
    }
    return i == n;
}

static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

#define MAX_PARENTS 64

typedef struct {
    const char *id;
    Py_ssize_t id_n; /* -1: no ID */
    const char *pv;
    Py_ssize_t pv_n; /* -1: no Parent */
    int np;
    const char *pp[MAX_PARENTS];
    Py_ssize_t pn[MAX_PARENTS];
} Attrs;

/* column 9 as the reference reads it, when nothing in it is an error; 0: careful path */
static int plain_attrs(const char *p, Py_ssize_t n, Attrs *a) {
    a->id_n = -1;
    a->pv_n = -1;
    a->np = 0;
    if (n == 1 && p[0] == '.')
        return 1;
    for (Py_ssize_t i = 0; i < n; i++) /* every '%' starts %XX */
        if (p[i] == '%' && (i + 2 >= n || !is_hex((unsigned char)p[i + 1]) || !is_hex((unsigned char)p[i + 2])))
            return 0;
    Py_ssize_t i = 0;
    while (i <= n) {
        const char *piece = p + i;
        const char *end = memchr(piece, ';', (size_t)(n - i));
        Py_ssize_t len = end ? end - piece : n - i;
        if (len == 0 || piece[0] == ' ') /* empty piece or a blank before the tag */
            return 0;
        const char *eq = memchr(piece, '=', (size_t)len);
        if (!eq || eq == piece || eq == piece + len - 1)
            return 0;
        if (memchr(eq + 1, '=', (size_t)(piece + len - eq - 1)))
            return 0;
        Py_ssize_t tl = eq - piece;
        if (tl == 2 && piece[0] == 'I' && piece[1] == 'D') {
            if (a->id_n >= 0)
                return 0;
            a->id = eq + 1;
            a->id_n = len - 3;
        } else if (tl == 6 && memcmp(piece, "Parent", 6) == 0) {
            if (a->pv_n >= 0)
                return 0;
            a->pv = eq + 1;
            a->pv_n = len - 7;
        } else if (tl == 11 && memcmp(piece, "Is_circular", 11) == 0) {
            return 0;
        }
        if (!end)
            break;
        i += len + 1;
        if (i == n) /* a trailing ';' */
            return 0;
    }
    if (a->pv_n >= 0) {
        const char *q = a->pv, *stop = a->pv + a->pv_n;
        for (;;) {
            const char *c = memchr(q, ',', (size_t)(stop - q));
            const char *e = c ? c : stop;
            if (e == q || a->np == MAX_PARENTS)
                return 0;
            if (a->id_n == e - q && memcmp(a->id, q, (size_t)(e - q)) == 0)
                return 0; /* its own ID as Parent */
            a->pp[a->np] = q;
            a->pn[a->np] = e - q;
            a->np++;
            if (!c)
                break;
            q = c + 1;
        }
    }
    return 1;
}

static PyObject *call(PyObject *f, PyObject *a, PyObject *b, PyObject *c, PyObject *d, PyObject *e) {
    return PyObject_CallFunctionObjArgs(f, a, b, c, d, e, NULL);
}

static PyObject *key_tuple(const char **col, const Py_ssize_t *len) {
    PyObject *a = PyBytes_FromStringAndSize(col[0], len[0]);
    PyObject *b = PyBytes_FromStringAndSize(col[1], len[1]);
    PyObject *c = PyBytes_FromStringAndSize(col[2], len[2]);
    PyObject *d = PyBytes_FromStringAndSize(col[6], len[6]);
    PyObject *t = (a && b && c && d) ? PyTuple_Pack(4, a, b, c, d) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(c);
    Py_XDECREF(d);
    return t;
}

/* the key index of (seqid, source, type, strand), from the cache or g.key_of */
static int64_t key_index(Scan *s, const char **col, const Py_ssize_t *len) {
    char buf[512];
    char *k = buf;
    Py_ssize_t n123 = (col[2] + len[2]) - col[0];
    size_t kn = (size_t)n123 + 2;
    if (kn > sizeof buf) {
        k = PyMem_RawMalloc(kn);
        if (!k) {
            PyErr_NoMemory();
            return -1;
        }
    }
    memcpy(k, col[0], (size_t)n123);
    k[n123] = '\t';
    k[n123 + 1] = col[6][0];
    uint64_t h = (uint64_t)hash_bytes(k, (Py_ssize_t)kn);
    Entry *e = table_find(&s->keycache, k, kn, h);
    int64_t r = -1;
    if (e) {
        r = (int64_t)e->line;
    } else {
        PyObject *kt = key_tuple(col, len);
        PyObject *idx = kt ? PyObject_CallOneArg(s->m_key_of, kt) : NULL;
        Py_XDECREF(kt);
        if (idx) {
            long long v = PyLong_AsLongLong(idx);
            Py_DECREF(idx);
            if (!(v == -1 && PyErr_Occurred())) {
                if (v < 0 || v >= (long long)SIGN_FLAG) {
                    PyErr_SetString(PyExc_OverflowError, "too many (seqid, source, type, strand) keys");
                } else {
                    Entry *n = table_insert(&s->keycache, k, kn, h);
                    if (n) {
                        n->line = (uint64_t)v;
                        r = v;
                    }
                }
            }
        }
    }
    if (k != buf)
        PyMem_RawFree(k);
    return r;
}

static PyObject *sign_obj(int has, uint64_t h) {
    if (!has)
        return PyLong_FromLong(0);
    PyObject *hh = PyLong_FromUnsignedLongLong(h);
    PyObject *one = PyLong_FromLong(1), *s64 = PyLong_FromLong(64);
    PyObject *flag = (one && s64) ? PyNumber_Lshift(one, s64) : NULL;
    PyObject *r = (hh && flag) ? PyNumber_Or(hh, flag) : NULL;
    Py_XDECREF(hh);
    Py_XDECREF(one);
    Py_XDECREF(s64);
    Py_XDECREF(flag);
    return r;
}

/* One plain line, all columns checked: its bookkeeping. -1: exception. */
static int book(Scan *s, const char **col, const Py_ssize_t *len, const Attrs *a, int64_t start, int64_t end,
                long lineno, PyObject *lno) {
    PyObject *seqid = s->seqid;
    int has_sign = a->pv_n >= 0;
    uint64_t sign = 0;
    PyObject *plist = NULL;
    if (has_sign) {
        if (a->np == 1) {
            sign = (uint64_t)hash_bytes(a->pp[0], a->pn[0]);
        } else {
            plist = PyList_New(a->np);
            if (!plist)
                return -1;
            for (int i = 0; i < a->np; i++) {
                PyObject *b = PyBytes_FromStringAndSize(a->pp[i], a->pn[i]);
                if (!b) {
                    Py_DECREF(plist);
                    return -1;
                }
                PyList_SET_ITEM(plist, i, b);
            }
            PyObject *so = PyObject_CallOneArg(g_parent_sign, plist);
            if (!so) {
                Py_DECREF(plist);
                return -1;
            }
            sign = PyLong_AsUnsignedLongLongMask(so);
            Py_DECREF(so);
            if (PyErr_Occurred()) {
                Py_DECREF(plist);
                return -1;
            }
        }
    }
    int rc = -1;
    PyObject *ident = NULL;
    if (a->id_n >= 0) {
        uint64_t h = (uint64_t)hash_bytes(a->id, a->id_n);
        Entry *e = table_find(s->ids, a->id, (size_t)a->id_n, h);
        int64_t kidx = key_index(s, col, len);
        if (kidx < 0)
            goto done;
        if (!e) {
            e = table_insert(s->ids, a->id, (size_t)a->id_n, h);
            if (!e)
                goto done;
            if ((uint64_t)lineno >= ((uint64_t)1 << LINE_BITS)) {
                PyErr_SetString(PyExc_OverflowError, "line number too large");
                goto done;
            }
            e->line = (uint64_t)lineno;
            e->kidx = (uint32_t)kidx | (has_sign ? SIGN_FLAG : 0);
            e->sign = sign;
            if (PyDict_GET_SIZE(s->pending)) {
                ident = PyBytes_FromStringAndSize(a->id, a->id_n);
                if (!ident)
                    goto done;
                PyObject *r = call(s->m_resolve, ident, seqid, NULL, NULL, NULL);
                if (!r)
                    goto done;
                Py_DECREF(r);
            }
        } else {
            if ((e->kidx & ~SIGN_FLAG) != (uint32_t)kidx || !!(e->kidx & SIGN_FLAG) != has_sign ||
                e->sign != sign) {
                PyObject *kt = key_tuple(col, len);
                PyObject *rec = kt ? record_of(e) : NULL;
                PyObject *so = rec ? sign_obj(has_sign, sign) : NULL;
                ident = so ? PyBytes_FromStringAndSize(a->id, a->id_n) : NULL;
                PyObject *r = ident ? call(s->m_repeat, ident, rec, kt, so, lno) : NULL;
                Py_XDECREF(rec);
                Py_XDECREF(so);
                Py_XDECREF(kt);
                if (!r)
                    goto done;
                Py_DECREF(r);
            }
        }
    }
    if (has_sign) {
        for (int i = 0; i < a->np; i++) {
            const char *pp = a->pp[i];
            Py_ssize_t pn = a->pn[i];
            Entry *e = table_find(s->ids, pp, (size_t)pn, (uint64_t)hash_bytes(pp, pn));
            if (e) {
                PyObject *key = PyList_GetItem(s->keys, (Py_ssize_t)(e->kidx & ~SIGN_FLAG));
                if (!key || !PyTuple_Check(key) || PyTuple_GET_SIZE(key) < 1) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_RuntimeError, "bad keys table");
                    goto done;
                }
                PyObject *ks = PyTuple_GET_ITEM(key, 0);
                if (ks == seqid || (PyBytes_Check(ks) && PyBytes_GET_SIZE(ks) == PyBytes_GET_SIZE(seqid) &&
                                    memcmp(PyBytes_AS_STRING(ks), PyBytes_AS_STRING(seqid),
                                           (size_t)PyBytes_GET_SIZE(seqid)) == 0))
                    continue;
            }
            /* absent (pending) or on another seqid: the reference words it */
            PyObject *pb = PyBytes_FromStringAndSize(pp, pn);
            if (!pb)
                goto done;
            if (!e) {
                int in = PyDict_Contains(s->pending, pb);
                if (in < 0) {
                    Py_DECREF(pb);
                    goto done;
                }
                if (!in) {
                    PyObject *v = PyTuple_Pack(2, lno, seqid);
                    int r = v ? PyDict_SetItem(s->pending, pb, v) : -1;
                    Py_XDECREF(v);
                    if (r < 0) {
                        Py_DECREF(pb);
                        goto done;
                    }
                }
            } else {
                PyObject *r = call(s->m_refer, pb, seqid, lno, NULL, NULL);
                if (!r) {
                    Py_DECREF(pb);
                    goto done;
                }
                Py_DECREF(r);
            }
            Py_DECREF(pb);
        }
    }
    /* CDS segments: the reference chain logic (gff3.Gff3.cds_segment) */
    if ((len[2] == 3 && memcmp(col[2], "CDS", 3) == 0) || (len[2] == 10 && memcmp(col[2], "SO:0000316", 10) == 0)) {
        if (a->np == 0 && a->id_n < 0) {
            rc = 0;
            goto done;
        }
        PyObject *strand = PyBytes_FromStringAndSize(col[6], 1);
        PyObject *seg = NULL;
        if (strand) {
            PyObject *st = PyLong_FromLongLong(start), *en = PyLong_FromLongLong(end);
            PyObject *ph = PyLong_FromLong(col[7][0] - '0');
            seg = (st && en && ph) ? PyTuple_Pack(4, st, en, ph, lno) : NULL;
            Py_XDECREF(st);
            Py_XDECREF(en);
            Py_XDECREF(ph);
        }
        if (!seg) {
            Py_XDECREF(strand);
            goto done;
        }
        int ok = 1;
        if (a->np) {
            for (int i = 0; i < a->np && ok; i++) {
                int dup = 0; /* dict.fromkeys(parents): each parent once, first place */
                for (int j = 0; j < i; j++)
                    if (a->pn[j] == a->pn[i] && memcmp(a->pp[j], a->pp[i], (size_t)a->pn[i]) == 0) {
                        dup = 1;
                        break;
                    }
                if (dup)
                    continue;
                PyObject *name = PyBytes_FromStringAndSize(a->pp[i], a->pn[i]);
                PyObject *r = name ? call(s->m_cds, name, seqid, strand, seg, NULL) : NULL;
                Py_XDECREF(name);
                if (!r)
                    ok = 0;
                Py_XDECREF(r);
            }
        } else {
            PyObject *name = PyBytes_FromStringAndSize(NULL, a->id_n + 1);
            if (name) {
                PyBytes_AS_STRING(name)[0] = '\n';
                memcpy(PyBytes_AS_STRING(name) + 1, a->id, (size_t)a->id_n);
            }
            PyObject *r = name ? call(s->m_cds, name, seqid, strand, seg, NULL) : NULL;
            Py_XDECREF(name);
            if (!r)
                ok = 0;
            Py_XDECREF(r);
        }
        Py_DECREF(seg);
        Py_DECREF(strand);
        if (!ok)
            goto done;
    }
    rc = 0;
done:
    Py_XDECREF(plist);
    Py_XDECREF(ident);
    return rc;
}

/* 1: handled here; 0: careful path; -1: exception */
static int plain_line(Scan *s, const char *p, Py_ssize_t n, long lineno) {
    const char *col[9];
    Py_ssize_t len[9];
    int c = 0;
    const char *q = p, *stop = p + n;
    col[0] = p;
    for (const char *r = p; r < stop; r++) {
        unsigned char ch = (unsigned char)*r;
        if (ch < 0x20) {
            if (ch != '\t' || c == 8)
                return 0;
            len[c] = r - q;
            if (!len[c])
                return 0;
            col[++c] = q = r + 1;
        }
    }
    if (c != 8)
        return 0;
    len[8] = stop - q;
    if (!len[8])
        return 0;
    int known = seq_bounds(s, col[0], len[0]);
    if (known <= 0)
        return known;
    int64_t start = plain_int(col[3], len[3]), end = plain_int(col[4], len[4]);
    if (start < 0 || end < 0 || start > end || start < s->lo || end > s->hi)
        return 0;
    if (!(len[5] == 1 && col[5][0] == '.') && !plain_float(col[5], len[5]))
        return 0;
    if (len[6] != 1 || !strchr("+-.?", col[6][0]) || col[6][0] == '\0')
        return 0;
    if (len[7] != 1 || !strchr(".012", col[7][0]) || col[7][0] == '\0')
        return 0;
    int cds = (len[2] == 3 && memcmp(col[2], "CDS", 3) == 0) || (len[2] == 10 && memcmp(col[2], "SO:0000316", 10) == 0);
    if (cds && col[7][0] == '.')
        return 0;
    Attrs a;
    if (!plain_attrs(col[8], len[8], &a))
        return 0;
    PyObject *lno = PyLong_FromLong(lineno);
    if (!lno)
        return -1;
    int r = book(s, col, len, &a, start, end, lineno, lno);
    Py_DECREF(lno);
    return r < 0 ? -1 : 1;
}

static int get_attr(PyObject *g, const char *name, PyObject **out) {
    *out = PyObject_GetAttrString(g, name);
    return *out ? 0 : -1;
}

static PyObject *scan(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "scan(g, text, base, line_limit)");
        return NULL;
    }
    if (!g_parent_sign) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    PyObject *g = args[0], *text = args[1];
    if (!PyBytes_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be bytes");
        return NULL;
    }
    long base = PyLong_AsLong(args[2]);
    Py_ssize_t limit = PyLong_AsSsize_t(args[3]);
    if (PyErr_Occurred())
        return NULL;
    Scan s;
    memset(&s, 0, sizeof s);
    PyObject *ids = NULL, *closed = NULL;
    if (get_attr(g, "ids", &ids) || get_attr(g, "closed", &closed))
        goto fail;
    s.ids = (IdTable *)ids;
    s.closed = (IdTable *)closed;
    if (check_table(ids) < 0 || check_table(closed) < 0)
        goto fail;
    if (get_attr(g, "pending", &s.pending) || get_attr(g, "seqs", &s.seqs) || get_attr(g, "keys", &s.keys) ||
        get_attr(g, "chains", &s.chains) || get_attr(g, "line", &s.m_line) || get_attr(g, "resolve", &s.m_resolve) ||
        get_attr(g, "refer", &s.m_refer) || get_attr(g, "repeat", &s.m_repeat) ||
        get_attr(g, "cds_segment", &s.m_cds) || get_attr(g, "close_section", &s.m_close) ||
        get_attr(g, "key_of", &s.m_key_of))
        goto fail;
    if (!PyDict_Check(s.pending) || !PyDict_Check(s.seqs) || !PyList_Check(s.keys) || !PyDict_Check(s.chains)) {
        PyErr_SetString(PyExc_TypeError, "unexpected Gff3 state");
        goto fail;
    }
    const char *buf = PyBytes_AS_STRING(text);
    Py_ssize_t size = PyBytes_GET_SIZE(text), pos = 0;
    long lineno = base;
    while (pos < size) {
        const char *p = buf + pos;
        const char *nl = memchr(p, '\n', (size_t)(size - pos));
        if (!nl)
            break; /* not a complete line: the caller keeps it */
        Py_ssize_t n = nl - p;
        if (n > limit)
            break;
        int done = 0;
        if (n == 3 && p[0] == '#' && p[1] == '#' && p[2] == '#') {
            int disjoint = 1;
            for (size_t k = 0; k < s.ids->count && disjoint; k++) {
                const Entry *e = &s.ids->entries[k];
                if (table_find(s.closed, s.ids->arena + e->off, e->len, e->hash))
                    disjoint = 0;
            }
            if (disjoint && !PyDict_GET_SIZE(s.pending)) {
                PyObject *r = IdTable_update(s.closed, ids);
                if (!r)
                    goto fail;
                Py_DECREF(r);
                table_free(s.ids);
                PyDict_Clear(s.chains);
                done = 1;
            }
        } else if (n && p[0] != '#' && p[0] != '>') {
            done = plain_line(&s, p, n, lineno);
            if (done < 0)
                goto fail;
        }
        if (!done) {
            PyObject *line = PyBytes_FromStringAndSize(p, n);
            PyObject *lno = line ? PyLong_FromLong(lineno) : NULL;
            PyObject *r = lno ? call(s.m_line, line, lno, NULL, NULL, NULL) : NULL;
            Py_XDECREF(line);
            Py_XDECREF(lno);
            if (!r)
                goto fail;
            Py_DECREF(r);
            Py_CLEAR(s.seqid); /* the reference may have changed the bounds */
            pos += n + 1;
            lineno++;
            PyObject *fa = PyObject_GetAttrString(g, "in_fasta");
            if (!fa)
                goto fail;
            int in = PyObject_IsTrue(fa);
            Py_DECREF(fa);
            if (in < 0)
                goto fail;
            if (in)
                break;
            continue;
        }
        pos += n + 1;
        lineno++;
    }
    scan_release(&s);
    return Py_BuildValue("(nl)", pos, lineno - base);
fail:
    scan_release(&s);
    return NULL;
}

static PyObject *configure(PyObject *self, PyObject *sign) {
    if (!PyCallable_Check(sign)) {
        PyErr_SetString(PyExc_TypeError, "configure(parent_sign)");
        return NULL;
    }
    Py_INCREF(sign);
    Py_XSETREF(g_parent_sign, sign);
    Py_RETURN_NONE;
}

static PyObject *hash_of(PyObject *self, PyObject *b) {
    if (!PyBytes_Check(b)) {
        PyErr_SetString(PyExc_TypeError, "bytes expected");
        return NULL;
    }
    return PyLong_FromUnsignedLongLong((uint64_t)hash_bytes(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b)));
}

static PyMethodDef module_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(g, text, base, line_limit) -> (bytes consumed, lines consumed)"},
    {"configure", configure, METH_O, "configure(parent_sign): the function that signs a Parent list"},
    {"hash_of", hash_of, METH_O, "the 64-bit hash the table uses (hash(bytes) & (2**64 - 1))"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "Compiled fast path of the GFF3 checker (docs/gff.md).", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    if (PyType_Ready(&IdTableType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    Py_INCREF(&IdTableType);
    if (PyModule_AddObject(m, "IdTable", (PyObject *)&IdTableType) < 0) {
        Py_DECREF(&IdTableType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
