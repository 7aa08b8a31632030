"""Atomic file writes: a crash or an error never leaves a partial file under the target name."""
import os
import tempfile


def atomic_write(path, data):
    """Write ``data`` (bytes) to ``path`` atomically.

    The bytes go to a temporary file in the same folder, which is flushed, fsynced and then
    renamed over ``path``; the folder is fsynced after the rename so that the new name
    survives a power cut. On any error the temporary file is removed and ``path`` is left as
    it was, so no partial file is ever visible under ``path`` (a process killed outright may
    leave the hidden temporary file ``.<name>.*.tmp`` behind; it is never read).
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):  # mkstemp makes 0600; a cache is readable by all
                os.fchmod(f.fileno(), 0o644)
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
