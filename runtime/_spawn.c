/* Start a pipe script that dies with ferryman, without an extra exec (docs/run.md, "Pipe tasks";
 * docs/architecture.md, "Speed").
 *
 * spawn(path, argv, envp, cwd, stdin_fd, stdout_fd, stderr_fd, max_fd) -> pid
 *
 * vfork(2), then in the child, using only async-signal-safe calls and no allocation:
 *   every signal back to SIG_DFL: those with a handler, SIGPIPE and SIGXFSZ (which Python ignores)
 *     and those ignored by whoever started ferryman (nohup's SIGHUP, a background job's SIGINT):
 *     the script has a session of its own and no terminal, so none of them is sent to it anyway;
 *   setsid() (its own process group and session, as Popen's start_new_session=True);
 *   prctl(PR_SET_PDEATHSIG, SIGKILL), then _exit if the parent is already gone (the race prctl(2)
 *     describes);
 *   the three descriptors onto 0, 1, 2 and every other descriptor closed (close_range(2), else a
 *     loop up to max_fd), as Popen's close_fds=True;
 *   chdir(cwd), an empty signal mask, execve(path, argv, envp) (no PATH search); a file the kernel
 *     cannot execute (ENOEXEC: a script without #!) is run by /bin/sh, as execvp(3) and GLib's
 *     g_spawn, which ZMap uses, do.
 * The parent blocks every signal around vfork (a handler must not run on the child's borrowed
 * stack) and releases the GIL while the child runs up to its exec. A failing step stores its errno
 * in the parent's memory (vfork shares it) and exits 127; the parent reaps that child and raises
 * OSError(errno, strerror, cwd or path).
 *
 * The death signal belongs to the thread that called spawn: the caller keeps that thread alive
 * while the script runs (ferryman's worker threads wait for their script).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { STEP_NONE = 0, STEP_CWD = 1, STEP_EXEC = 2, STEP_SETUP = 3 };

typedef struct {
    const char *path;
    char **argv; /* argv[-1] is a spare slot: /bin/sh goes there when the kernel cannot execute path */
    char *const *envp;
    const char *cwd;
    int fds[3]; /* onto 0, 1, 2 */
    int max_fd;
    pid_t parent;
    sigset_t old_mask; /* the calling thread's, restored in the parent */
    volatile int err;  /* written by the child before it exits */
    volatile int step;
} spawn_args;

static void close_others(int max_fd) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
        return;
#endif
    for (int fd = 3; fd < max_fd; fd++)
        close(fd);
}

static void _Noreturn child_fail(spawn_args *a, int step) {
    a->err = errno ? errno : EINVAL;
    a->step = step;
    _exit(127);
}

static void _Noreturn child(spawn_args *a) {
    struct sigaction sa;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (sigaction(sig, NULL, &sa) != 0)
            continue; /* a signal the C library reserves */
        if (sa.sa_handler != SIG_DFL) {
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = SIG_DFL;
            sigemptyset(&sa.sa_mask);
            sigaction(sig, &sa, NULL);
        }
    }
    if (setsid() < 0)
        child_fail(a, STEP_SETUP);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        child_fail(a, STEP_SETUP);
    if (getppid() != a->parent) /* ferryman died before the death signal was set */
        _exit(127);
    /* a source that sits on a lower target would be overwritten before it is copied: move it up */
    int fds[3] = {a->fds[0], a->fds[1], a->fds[2]};
    for (int target = 0; target < 3; target++) {
        if (fds[target] < 3 && fds[target] != target) {
            int moved = fcntl(fds[target], F_DUPFD_CLOEXEC, 3);
            if (moved < 0)
                child_fail(a, STEP_SETUP);
            fds[target] = moved;
        }
    }
    for (int target = 0; target < 3; target++) {
        if (fds[target] == target) {
            int flags = fcntl(target, F_GETFD);
            if (flags < 0 || fcntl(target, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                child_fail(a, STEP_SETUP);
        } else if (dup2(fds[target], target) < 0) {
            child_fail(a, STEP_SETUP);
        }
    }
    close_others(a->max_fd);
    if (a->cwd != NULL && chdir(a->cwd) != 0)
        child_fail(a, STEP_CWD);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(a->path, a->argv, a->envp);
    if (errno == ENOEXEC) {
        a->argv[-1] = (char *)"/bin/sh";
        a->argv[0] = (char *)a->path;
        execve("/bin/sh", a->argv - 1, a->envp);
        errno = ENOEXEC; /* say why the script itself could not run */
    }
    child_fail(a, STEP_EXEC);
}

/* vfork in a function of its own that never returns in the child (CPython's _posixsubprocess
 * does the same): the child runs on this frame and leaves only through execve or _exit */
static pid_t __attribute__((noinline)) vfork_child(spawn_args *a) {
    pid_t pid = vfork();
    if (pid == 0)
        child(a);
    return pid;
}

/* A NULL-terminated array of the byte strings of `seq`, after `spare` empty slots, pointing into the
 * bytes objects of *keep (a list or tuple made of `seq`: the caller releases it after the spawn). */
static char **byte_strings(PyObject *seq, const char *what, Py_ssize_t spare, PyObject **keep) {
    PyObject *fast = PySequence_Fast(seq, what);
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    char **out = PyMem_Calloc((size_t)(n + spare + 1), sizeof(char *));
    if (out == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError, "%s: bytes expected", what);
            goto fail;
        }
        if ((Py_ssize_t)strlen(PyBytes_AS_STRING(item)) != PyBytes_GET_SIZE(item)) {
            PyErr_Format(PyExc_ValueError, "%s: embedded null byte", what);
            goto fail;
        }
        out[spare + i] = PyBytes_AS_STRING(item);
    }
    *keep = fast;
    return out;
fail:
    Py_DECREF(fast);
    PyMem_Free(out);
    return NULL;
}

static PyObject *spawn(PyObject *self, PyObject *args) {
    PyObject *argv_seq, *envp_seq;
    const char *path, *cwd;
    Py_ssize_t path_len, cwd_len;
    spawn_args a;
    memset(&a, 0, sizeof a);
    if (!PyArg_ParseTuple(args, "y#OOy#iiii", &path, &path_len, &argv_seq, &envp_seq, &cwd, &cwd_len, &a.fds[0],
                          &a.fds[1], &a.fds[2], &a.max_fd))
        return NULL;
    if ((Py_ssize_t)strlen(path) != path_len || (Py_ssize_t)strlen(cwd) != cwd_len) {
        PyErr_SetString(PyExc_ValueError, "embedded null byte");
        return NULL;
    }
    PyObject *argv_kept = NULL, *envp_kept = NULL;
    char **argv = byte_strings(argv_seq, "argv", 1, &argv_kept);
    if (argv == NULL)
        return NULL;
    char **envp = argv[1] == NULL ? NULL : byte_strings(envp_seq, "envp", 0, &envp_kept);
    if (envp == NULL) {
        if (argv[1] == NULL)
            PyErr_SetString(PyExc_ValueError, "argv must not be empty");
        PyMem_Free(argv);
        Py_DECREF(argv_kept);
        return NULL;
    }
    a.path = path;
    a.argv = argv + 1;
    a.envp = envp;
    a.cwd = cwd_len ? cwd : NULL;
    a.parent = getpid();

    sigset_t all;
    sigfillset(&all);
    pid_t pid;
    int saved_errno = 0;
    Py_BEGIN_ALLOW_THREADS
    pthread_sigmask(SIG_SETMASK, &all, &a.old_mask);
    pid = vfork_child(&a);
    saved_errno = errno;
    pthread_sigmask(SIG_SETMASK, &a.old_mask, NULL);
    if (pid > 0 && a.step != STEP_NONE) { /* the child failed before its exec and has exited */
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(argv);
    PyMem_Free(envp);
    Py_DECREF(argv_kept);
    Py_DECREF(envp_kept);
    if (pid < 0) {
        errno = saved_errno;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (a.step != STEP_NONE) {
        errno = a.err;
        PyObject *where = PyBytes_FromString(a.step == STEP_CWD ? cwd : path);
        if (where == NULL)
            return NULL;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, where);
        Py_DECREF(where);
        return NULL;
    }
    return PyLong_FromLong((long)pid);
}

static PyMethodDef module_methods[] = {
    {"spawn", spawn, METH_VARARGS,
     "spawn(path, argv, envp, cwd, stdin_fd, stdout_fd, stderr_fd, max_fd) -> pid: start a script in a new "
     "session with PR_SET_PDEATHSIG=SIGKILL (see runtime/_spawn.c)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_spawn", "Start scripts that die with ferryman (runtime/_spawn.c).", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__spawn(void) { return PyModule_Create(&module); }
