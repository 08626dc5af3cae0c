"""Writing files so that readers see either the old file or the whole new one.

The bytes go to a temporary file beside the target, named ``.<name>.<host>.<pid>.<random>.part``,
which is renamed over the target once complete. A process killed mid-write (kill -9, power loss)
cannot delete its temporary file, so the next write to the same target deletes the temporary files
of that target left by processes of this host that no longer run: stale files never pile up, and a
file another running process is still writing is never touched.
"""
import os
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

SUFFIX = ".part"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}.{socket.gethostname()}."


def _process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running, under another user
        return True
    return True


def remove_stale_temporaries(path) -> list:
    """Delete the temporary files of ``path`` whose writer (a process of this host) has died;
    returns their paths."""
    path = Path(path)
    prefix = _temporary_prefix(path)
    removed = []
    try:
        candidates = [entry for entry in os.scandir(path.parent)
                      if entry.name.startswith(prefix) and entry.name.endswith(SUFFIX)]
    except OSError:
        return removed
    for entry in candidates:
        pid = entry.name[len(prefix):-len(SUFFIX)].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_is_running(int(pid)):
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed


def _naming_target(error: OSError, path: Path, temporary) -> OSError:
    """``error`` re-made to name ``path`` where it named the temporary file or no file at all."""
    if error.errno is None or error.filename not in (None, str(temporary)):
        return error
    try:
        return type(error)(error.errno, error.strerror, str(path))
    except TypeError:  # a subclass with a constructor of its own
        return error


@contextmanager
def atomic_write(path):
    """Yield a binary file open on a temporary file beside `path`.

    On leaving the block the file is flushed to disk, given the permissions of a normal new file
    (0666 less the umask, not mkstemp's 0600) and renamed to `path`; if the block raises, the temporary file is
    deleted and `path` is left as it was. An OSError (a full disk, a folder without write permission)
    names `path`, not the temporary file.
    """
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{_temporary_prefix(path)}{os.getpid()}.",
                                                 suffix=SUFFIX)
        temporary = Path(temporary)
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        renamed = _naming_target(error, path, temporary)
        if renamed is error:
            raise
        raise renamed from error
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise
