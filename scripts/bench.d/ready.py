#!/usr/bin/env python3
"""Case 3: starts `exportsync run` under a NOTIFY_SOCKET of its own, measures the time from the
process's start to READY=1 and its RSS then, lets it work for WINDOW seconds, samples RSS again,
stops it with SIGTERM and prints one JSON object.

usage: ready.py WINDOW_SECONDS LOG_FILE -- exportsync run --config …
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

window = float(sys.argv[1])
log_path = sys.argv[2]
command = sys.argv[sys.argv.index('--') + 1:]


def rss_kib(pid, field='VmRSS'):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


directory = tempfile.mkdtemp(prefix='exportsync-notify.')
path = os.path.join(directory, 'notify.sock')
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(path)
listener.settimeout(0.05)
env = dict(os.environ, NOTIFY_SOCKET=path)
with open(log_path, 'wb') as log:
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    ready_at = None
    messages = []
    deadline = started + 60
    while ready_at is None and time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f'exportsync exited with {process.returncode} before READY=1')
        try:
            data = listener.recv(65536).decode(errors='replace')
        except socket.timeout:
            continue
        messages.append(data)
        if 'READY=1' in data.split('\n'):
            ready_at = time.monotonic()
    if ready_at is None:
        process.kill()
        sys.exit('no READY=1 within 60 s')
    rss_ready = rss_kib(process.pid)
    status_lines = []
    end = ready_at + window
    while time.monotonic() < end:
        try:
            data = listener.recv(65536).decode(errors='replace')
            status_lines += [l[7:] for l in data.split('\n') if l.startswith('STATUS=')]
        except socket.timeout:
            pass
        if process.poll() is not None:
            sys.exit(f'exportsync exited with {process.returncode} during the window')
    rss_end = rss_kib(process.pid)
    hwm = rss_kib(process.pid, 'VmHWM')
    stop_sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        sys.exit('exportsync did not stop within 30 s of SIGTERM')
    print(json.dumps({
        'ready_seconds': ready_at - started, 'rss_ready_kib': rss_ready, 'rss_end_kib': rss_end,
        'peak_rss_kib': hwm, 'stop_seconds': time.monotonic() - stop_sent, 'exit': process.returncode,
        'window_start_epoch': time.time() - (time.monotonic() - ready_at),
        'last_status': status_lines[-1] if status_lines else None,
    }))
