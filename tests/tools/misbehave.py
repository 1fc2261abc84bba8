#!/usr/bin/env python3
"""A TCP server on loopback that misbehaves the way a broken path does, independent of atscheck:
   misbehave.py stall PORT   accepts every connection and never sends a byte
   misbehave.py reset PORT   reads the ClientHello, then resets the connection (RST)
Stops by itself after 120 s."""
import socket, struct, sys, threading, time

mode, port = sys.argv[1], int(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
held = []
deadline = time.time() + 120

def reset(conn):
    conn.settimeout(3)
    try:
        conn.recv(4096)
    except OSError:
        pass
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()

srv.settimeout(1)
while time.time() < deadline:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    if mode == "stall":
        held.append(conn)
    else:
        threading.Thread(target=reset, args=(conn,), daemon=True).start()
