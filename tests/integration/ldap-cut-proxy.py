#!/usr/bin/env python3
"""ldap-cut-proxy - a TCP relay in front of a real slapd that loses the
answer to the first LDAP Add, the way a client sees a provider that is
stopped just after it applied a write.

Usage: ldap-cut-proxy.py LISTEN_PORT SERVER_PORT CHECK_URI

Relays 127.0.0.1:LISTEN_PORT to 127.0.0.1:SERVER_PORT. When the client
sends its first AddRequest, the request is passed on to the server, and
the relay waits (up to 30 s) until the new entry can be read at CHECK_URI
(the other provider, as the sandbox admin: ldapsearch -Y EXTERNAL), that
is until the add has been applied AND replicated. Then it closes the
client's connection without the answer and stops listening, like a dead
server. Prints "cut DN" on standard output when it did. Test use only.
"""
import select
import socket
import subprocess
import sys
import time


def ber_len(buf, i):
    """(length, index after the length octets) or None if incomplete."""
    if i >= len(buf):
        return None
    first = buf[i]
    if first < 0x80:
        return first, i + 1
    n = first & 0x7F
    if i + 1 + n > len(buf):
        return None
    return int.from_bytes(buf[i + 1:i + 1 + n], "big"), i + 1 + n


def messages(buf):
    """Split complete LDAPMessages off BUF: (list, rest)."""
    out = []
    while len(buf) >= 2:
        r = ber_len(buf, 1)
        if r is None:
            break
        length, start = r
        if len(buf) < start + length:
            break
        out.append(buf[:start + length])
        buf = buf[start + length:]
    return out, buf


def add_dn(msg):
    """The DN of an AddRequest, or None for any other operation."""
    _, i = ber_len(msg, 1)          # SEQUENCE
    _, j = ber_len(msg, i + 1)      # messageID INTEGER
    idlen = msg[i + 1]
    i = j + idlen
    if msg[i] != 0x68:              # [APPLICATION 8] AddRequest
        return None
    _, i = ber_len(msg, i + 1)
    dnlen, k = ber_len(msg, i + 1)  # entry LDAPDN OCTET STRING
    return msg[k:k + dnlen].decode()


def replicated(uri, dn):
    return subprocess.run(
        ["ldapsearch", "-Q", "-Y", "EXTERNAL", "-H", uri, "-LLL", "-s",
         "base", "-b", dn, "1.1"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0


def main():
    listen_port, server_port, check_uri = (int(sys.argv[1]),
                                           int(sys.argv[2]), sys.argv[3])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(8)
    print("listening", flush=True)
    pairs = {}  # socket -> (peer socket, is_client, pending bytes)
    while True:
        rl, _, _ = select.select([ls] + list(pairs), [], [])
        for s in rl:
            if s is ls:
                c, _ = ls.accept()
                srv = socket.create_connection(("127.0.0.1", server_port))
                pairs[c] = [srv, True, b""]
                pairs[srv] = [c, False, b""]
                continue
            if s not in pairs:
                continue
            peer, is_client, pending = pairs[s]
            data = s.recv(65536)
            if not data:
                for x in (s, peer):
                    pairs.pop(x, None)
                    x.close()
                continue
            if not is_client:
                peer.sendall(data)
                continue
            msgs, pairs[s][2] = messages(pending + data)
            for m in msgs:
                peer.sendall(m)
                dn = add_dn(m)
                if dn is None:
                    continue
                deadline = time.time() + 30
                while not replicated(check_uri, dn) and time.time() < deadline:
                    time.sleep(0.1)
                print("cut", dn, flush=True)
                for x in list(pairs):
                    x.close()
                ls.close()
                return


if __name__ == "__main__":
    main()
