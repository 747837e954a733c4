#!/usr/bin/python3
"""HotDB lab: holds every packet iptables queues to NFQUEUE QUEUE for DELAY_MS, then lets it go.

Runs inside a lab host for the Latency fault: it does what tc netem's delay does, on kernels built
without netem. Usage: netdelay.py QUEUE DELAY_MS PIDFILE (the pid file is written once the queue is bound).
"""
import heapq
import os
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1


def attribute(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * (-length % 4)


def message(kind, queue, attributes, flags=NLM_F_REQUEST, family=socket.AF_UNSPEC):
    body = struct.pack('=BBH', family, 0, socket.htons(queue)) + b''.join(attributes)
    return struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, 0, 0) + body


def configure(sock, queue, attributes, family=socket.AF_UNSPEC):
    sock.send(message(NFQNL_MSG_CONFIG, queue, attributes, NLM_F_REQUEST | NLM_F_ACK, family))
    reply = sock.recv(65536)
    kind = struct.unpack_from('=H', reply, 4)[0]
    error = struct.unpack_from('=i', reply, 16)[0] if kind == NLMSG_ERROR else 0
    if error:
        sys.exit(f'netdelay: configuring NFQUEUE {queue} failed: {os.strerror(-error)}')


def packet_ids(data):
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from('=IH', data, offset)
        if length < 16:
            return
        if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            position, end = offset + 20, offset + length
            while position + 4 <= end:
                size, attr_kind = struct.unpack_from('=HH', data, position)
                if size < 4:
                    break
                if attr_kind & 0x7FFF == NFQA_PACKET_HDR:
                    yield struct.unpack_from('!I', data, position + 4)[0]
                position += (size + 3) & ~3
        offset += (length + 3) & ~3


def main():
    queue, delay, pid_file = int(sys.argv[1]), float(sys.argv[2]) / 1000, sys.argv[3]
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    configure(sock, queue, [attribute(NFQA_CFG_CMD, struct.pack('!BBH', NFQNL_CFG_CMD_BIND, 0, socket.AF_INET))], socket.AF_INET)
    configure(sock, queue, [attribute(NFQA_CFG_PARAMS, struct.pack('!IB', 0, NFQNL_COPY_META))])
    with open(pid_file, 'w') as handle:
        handle.write(f'{os.getpid()}\n')
    pending = []  # (due time, packet id), earliest first
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else None
        ready, _, _ = select.select([sock], [], [], timeout)
        if ready:
            due = time.monotonic() + delay
            for packet_id in packet_ids(sock.recv(1 << 16)):
                heapq.heappush(pending, (due, packet_id))
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, packet_id = heapq.heappop(pending)
            verdict = attribute(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, packet_id))
            sock.send(message(NFQNL_MSG_VERDICT, queue, [verdict]))


if __name__ == '__main__':
    main()
