#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy on 127.0.0.1 for tests: tunnels to 127.0.0.1 only, and asks for
Basic credentials (407 without them), so a probe through it really sends the planted password.
Prints "listening on 127.0.0.1:PORT" once ready; runs until killed."""
import asyncio
import base64
import sys


async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        w.close()


async def handle(r, w, want):
    try:
        head = await r.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        w.close()
        return
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    auth = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("proxy-authorization:")]
    if len(parts) < 2 or parts[0] != "CONNECT":
        w.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
    elif want and (not auth or auth[0] != "Basic " + want):
        w.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
    else:
        port = int(parts[1].rsplit(":", 1)[1])
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            w.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await w.drain()
            w.close()
            return
        w.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await w.drain()
        await asyncio.gather(pipe(r, uw), pipe(ur, w))
        return
    await w.drain()
    w.close()


async def main():
    want = base64.b64encode(sys.argv[1].encode()).decode() if len(sys.argv) > 1 else ""
    srv = await asyncio.start_server(lambda r, w: handle(r, w, want), "127.0.0.1", 0)
    print("listening on 127.0.0.1:%d" % srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()


asyncio.run(main())
