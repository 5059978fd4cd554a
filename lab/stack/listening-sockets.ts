// TCP sockets in LISTEN state and the processes that hold them, from /proc: which process is the
// database server a run uses, and (in tests) what a run left listening.
import fs from 'node:fs';

/** A TCP socket in LISTEN state and the process that holds it. */
export interface ListeningSocket {
  pid: number;
  /** Dotted IPv4 or full IPv6 text, e.g. "127.0.0.1" or "0000:0000:…:0001". */
  address: string;
  port: number;
}

const LISTEN_STATE = '0A';

// /proc/net/tcp writes each 32-bit word of an address in host (little-endian) byte order.
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

function ipv6(hex: string): string {
  const bytes: string[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    bytes.push(w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(`${bytes[i]}${bytes[i + 1]}`.toLowerCase());
  const text = groups.join(':');
  // An IPv4-mapped address reads better as the IPv4 it stands for.
  const mapped = /^0000:0000:0000:0000:0000:ffff:(....):(....)$/.exec(text);
  if (mapped) return ipv4FromGroups(mapped[1]!, mapped[2]!);
  return text;
}

function ipv4FromGroups(high: string, low: string): string {
  return [high.slice(0, 2), high.slice(2), low.slice(0, 2), low.slice(2)].map((h) => parseInt(h, 16)).join('.');
}

/** inode -> address of every listening TCP socket in this network namespace. */
function listeningInodes(): Map<string, { address: string; port: number }> {
  const found = new Map<string, { address: string; port: number }>();
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== LISTEN_STATE) continue;
      const [addr, port] = cols[1]!.split(':');
      found.set(cols[9]!, { address: decode(addr!), port: parseInt(port!, 16) });
    }
  }
  return found;
}

/** The listening TCP sockets held open by these processes (a socket shared by several is listed once per process). */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const byInode = listeningInodes();
  const sockets: ListeningSocket[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode === undefined ? undefined : byInode.get(inode);
      if (socket) sockets.push({ pid, ...socket });
    }
  }
  return sockets;
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '0000:0000:0000:0000:0000:0000:0000:0001';
}

/** True when something in this network namespace listens on the TCP port. */
export function portListening(port: number): boolean {
  for (const socket of listeningInodes().values()) if (socket.port === port) return true;
  return false;
}

/** Every process this one may look into (another user's fds are closed to a non-root lab). */
function allPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** True for a listening address that takes connections to `host`: the address itself, or a wildcard. */
function accepts(address: string, host: string): boolean {
  const wildcard = address === '0.0.0.0' || address === '0000:0000:0000:0000:0000:0000:0000:0000';
  return wildcard || address === host || (isLoopback(address) && (host === 'localhost' || isLoopback(host) || host === '::1'));
}

/**
 * The processes named one of `names` (their /proc comm) that listen on `host`:`port` of this
 * machine, e.g. the MariaDB a run uses on 127.0.0.1:3306. A proxy in front (docker-proxy) is not one.
 */
export function serverProcesses(host: string, port: number, names: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const socket of listeningSockets(allPids())) {
    if (socket.port !== port || !accepts(socket.address, host)) continue;
    let comm = '';
    try {
      comm = fs.readFileSync(`/proc/${socket.pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (names.includes(comm)) pids.add(socket.pid);
  }
  return [...pids];
}
