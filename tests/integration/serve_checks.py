"""Helpers the Python drivers of the serve tests share (imported, not run):
one line per check, the failure count for the exit status, and the server
process's thread count and resident memory from /proc."""

failures = 0


def check(what, ok):
    global failures
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    failures += 0 if ok else 1


def proc_status(pid, field):
    """An integer field of /proc/PID/status ("Threads", "VmRSS" in kB); -1 if absent."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def threads(pid):
    return proc_status(pid, "Threads")


def rss_mb(pid):
    return proc_status(pid, "VmRSS") / 1024.0


def exit_code():
    return 1 if failures else 0
