// Connections for the run's users. Every user still gets a new TCP connection, but the net.Socket
// object around it is reused: building one (a Duplex with both stream states, listeners, options)
// cost about a tenth of the client's CPU. Node reconnects a Socket whose 'close' has been emitted
// (the socket.connect documentation); its listeners and its `onread` buffer stay, so each one is
// set once per Socket and forwards to whichever user holds it. Only a Socket that got connected is
// reused: one that failed to connect may still hold a write queued for its connect.
import net from 'node:net';
import type { Socket } from 'node:net';

/** What a connection reports to the user holding it. */
export interface ConnectionOwner {
  onConnectionRead(bytes: number): void;
  onConnectionConnected(): void;
  onConnectionEnd(): void;
  onConnectionError(error: Error): void;
}

export class Connection {
  /** The user this connection serves; none once it is dropped. */
  owner: ConnectionOwner | undefined;
  /** Connected since the last connect(): every write queued before it has gone out. */
  connected = false;

  constructor(
    readonly socket: Socket,
    pool: SocketPool,
    afterEvent: () => void,
  ) {
    socket.on('connect', () => {
      this.connected = true;
      this.owner?.onConnectionConnected();
      afterEvent();
    });
    socket.on('end', () => this.owner?.onConnectionEnd());
    socket.on('error', (error: Error) => this.owner?.onConnectionError(error));
    socket.on('close', () => pool.closed(this));
  }

  write(request: string | Buffer): void {
    if (typeof request === 'string') this.socket.write(request, 'latin1');
    else this.socket.write(request);
  }

  /** Closes the TCP connection now; the Socket returns to the pool once its 'close' is emitted. */
  drop(): void {
    this.owner = undefined;
    this.socket.destroy();
  }
}

export class SocketPool {
  private readonly idle: Connection[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** Every socket reads into this; a read is handled before the next one lands. */
    private readonly readBuffer: Buffer,
    /** Called after every read and connect has been handled: the loop is awake anyway, so the run starts a user that has come due. */
    private readonly afterEvent: () => void = () => {},
  ) {}

  /** A new TCP connection for `owner`, on an idle Socket when there is one. */
  connect(owner: ConnectionOwner): Connection {
    const reused = this.idle.pop();
    if (reused !== undefined) {
      reused.owner = owner;
      reused.connected = false;
      reused.socket.connect(this.port, this.host);
      return reused;
    }
    let connection: Connection | undefined;
    const { afterEvent } = this;
    const socket = net.connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: {
        buffer: this.readBuffer,
        callback: (bytes: number) => {
          connection!.owner?.onConnectionRead(bytes);
          afterEvent();
          return true;
        },
      },
    });
    connection = new Connection(socket, this, afterEvent);
    connection.owner = owner;
    return connection;
  }

  closed(connection: Connection): void {
    if (connection.owner === undefined && connection.connected) this.idle.push(connection);
  }
}
