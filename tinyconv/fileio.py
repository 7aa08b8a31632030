"""Atomic file writes: a crash or an error never leaves a partial file under the target name."""
import os
import re
import secrets
import stat


def atomic_write(path, data):
    """Write ``data`` (bytes) to ``path`` atomically.

    The bytes go to a temporary file ``.<name>.<pid>.<random>.tmp`` in the same folder, which
    is flushed, fsynced and then renamed over ``path``; the folder is fsynced after the rename
    so that the new name survives a power cut. On any error the temporary file is removed and
    ``path`` is left as it was, so no partial file is ever visible under ``path``.

    The new file keeps the permission bits of the file it replaces; a new file gets those the
    umask allows (0o666 less the umask), as ``open`` would give it.

    A process killed outright leaves its temporary file behind; the next ``atomic_write`` to
    the same path removes the temporaries of that path whose process no longer runs (on POSIX
    systems; the process id is part of the name). Temporaries of running processes, of other
    paths and files named otherwise are left alone.

    Raises:
        OSError: the file cannot be written; ``path`` is left as it was.
    """
    path = os.fspath(path)
    folder, name = os.path.split(path)
    folder = folder or "."
    _remove_stale_temporaries(folder, name)
    fd, tmp = _create_temporary(folder, name)
    try:
        with os.fdopen(fd, "wb") as f:
            _keep_mode(path, f.fileno())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _temporary_pattern(name):
    """Names of the temporaries of ``name``: ``.<name>.<pid>.<random>.tmp`` (group 1: pid)."""
    return re.compile(r"\." + re.escape(name) + r"\.(\d+)\.[0-9a-f]+\.tmp")


def _create_temporary(folder, name):
    """Create a new temporary file for ``name`` in ``folder``; return (fd, path). The mode
    0o666 is reduced by the umask, as for any new file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # 48 random bits: practically never
            continue


def _keep_mode(path, fd):
    """Give the open file ``fd`` the permission bits of ``path`` if that exists."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _remove_stale_temporaries(folder, name):
    """Remove temporaries of ``name`` in ``folder`` left by processes that no longer run."""
    if os.name != "posix":  # os.kill(pid, 0) only probes a process on POSIX systems
        return
    pattern = _temporary_pattern(name)
    try:
        entries = os.listdir(folder)
    except OSError:
        return  # creating the temporary file will report the problem
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _running(int(match.group(1))):
            try:
                os.unlink(os.path.join(folder, entry))
            except OSError:
                pass  # removed by another process meanwhile, or not ours to remove


def _running(pid):
    """Whether a process with id ``pid`` exists (POSIX)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or not a valid pid: leave its file alone
    return True


def _fsync_folder(folder):
    """fsync a folder so that a rename inside it is durable (a no-op where folders cannot be
    opened, as on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
