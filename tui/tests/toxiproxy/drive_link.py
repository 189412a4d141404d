"""Drives the lab's link with toxiproxy-python, a real toxiproxy client from
PyPI, and checks through the link that each change does what toxiproxy's
documentation says. Usage: drive_link.py API_PORT. Exits 0 when all held;
prints one line per step."""

import socket
import sys
import time

from toxiproxy import Toxiproxy

API_PORT = int(sys.argv[1])


def round_trip(addr, payload=b"ping", limit=3.0):
    """Seconds for one echo through the link, or None if nothing came back within limit."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=limit) as sock:
        started = time.monotonic()
        sock.sendall(payload)
        try:
            got = sock.recv(len(payload))
        except socket.timeout:
            return None
        assert got == payload, got
        return time.monotonic() - started


def step(text):
    print("ok:", text, flush=True)


server = Toxiproxy()
server.update_api_consumer("127.0.0.1", API_PORT)
assert server.running(), "the API is not listening"
version = server.version()
assert version and version.startswith(b"tui "), version
step(f"version {version.decode()}")

proxy = server.get_proxy("service_a")
assert proxy is not None, server.proxies()
assert proxy.enabled is True
listen = proxy.listen
assert round_trip(listen) < 0.5
step(f"proxy service_a listens on {listen}, upstream {proxy.upstream}")

proxy.add_toxic(type="latency", attributes={"latency": 300, "jitter": 0})
toxics = proxy.toxics()
assert list(toxics) == ["latency_downstream"], toxics
latency = toxics["latency_downstream"]
assert (latency.type, latency.stream, latency.toxicity) == ("latency", "downstream", 1.0)
assert latency.attributes == {"latency": 300, "jitter": 0}, latency.attributes
took = round_trip(listen)
assert took is not None and 0.3 <= took < 1.5, took
step(f"latency 300 ms: a round trip took {took * 1000:.0f} ms")

proxy.add_toxic(name="lost", type="timeout", stream="upstream", attributes={"timeout": 0})
assert round_trip(listen, limit=0.5) is None
step("timeout upstream: nothing came back")

proxy.destroy_toxic("lost")
proxy.destroy_toxic("latency_downstream")
assert proxy.toxics() == {}
assert round_trip(listen) < 0.5
step("toxics removed: through again")

with proxy.down():
    try:
        round_trip(listen, limit=1.0)
        raise AssertionError("connected to a disabled proxy")
    except ConnectionRefusedError:
        step("disabled: connection refused")
assert server.get_proxy("service_a").enabled is True
assert round_trip(listen) < 0.5
step("enabled again: through")

proxy.add_toxic(type="reset_peer", attributes={"timeout": 0})
server.reset()
assert proxy.toxics() == {}
assert round_trip(listen) < 0.5
step("reset: every toxic gone")
print("all held")
