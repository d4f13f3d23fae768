#!/usr/bin/env python3
"""Resident memory of idle keep-alive connections.

Starts `haetae run` in front of the peer origin (127.0.0.1:18080, or the
demo origin it starts itself with --own-origin), opens N connections that
each send one request, read the response and then stay open (idle
keep-alive), and reports the proxy's VmRSS before and after.

    python3 bench/idle_conns.py --bin target/release/haetae --conns 10000
"""
import argparse, asyncio, os, resource, socket, subprocess, sys, tempfile, time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


async def one(port, held):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GET /1k.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: idle-probe\r\nAccept: */*\r\n\r\n")
    await w.drain()
    head = await r.readuntil(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    await r.readexactly(n)
    held.append((r, w))


async def main(a):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1 << 20), hard))
    port, admin = free_port(), free_port()
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "h.toml")
        with open(cfg, "w") as f:
            f.write(f"""[server]\nlisten = ["127.0.0.1:{port}"]\nadmin = "127.0.0.1:{admin}"\nworkers = {a.workers}\nwatch_config = false\n
[timeouts]\nclient_header = "300s"\n
[[site]]\nname = "idle"\nhosts = ["*"]\n[site.upstream]\nservers = ["{a.upstream}"]\n""")
        p = subprocess.Popen([a.bin, "run", "--config", cfg], stderr=subprocess.DEVNULL,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)))
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.1)
            held = []
            # Warm up (allocator, pools) before the baseline.
            await asyncio.gather(*(one(port, held) for _ in range(64)))
            for r, w in held:
                w.close()
            held.clear()
            time.sleep(1)
            before = rss_kib(p.pid)
            batch = int(os.environ.get("BATCH", "500"))
            for i in range(0, a.conns, batch):
                await asyncio.gather(*(one(port, held) for _ in range(min(batch, a.conns - i))))
            time.sleep(2)
            after = rss_kib(p.pid)
            print(f"connections={len(held)} rss_before_kib={before} rss_after_kib={after} "
                  f"delta_mib={(after - before) / 1024:.1f} per_conn_kib={(after - before) / max(1, len(held)):.2f}")
            for r, w in held:
                w.close()
        finally:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/haetae")
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--upstream", default="127.0.0.1:18080")
    asyncio.run(main(ap.parse_args()))
