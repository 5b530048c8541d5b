/**
 * Types for the parts of `smpp` 0.5.1 the gateway uses (the package ships none). PDU fields are
 * dynamic (one property per SMPP parameter or TLV), so they are typed `unknown` and read through the
 * narrowing helpers in channels/smpp/pdu.ts; nothing untyped leaks into the core.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /** How one parameter or TLV is read from and written to a buffer. */
    interface FieldType {
      read(buffer: Buffer, offset: number, length?: number): unknown;
      write(value: unknown, buffer: Buffer, offset: number): void;
      size(value: unknown): number;
      default: unknown;
    }

    interface FieldFilter {
      encode(this: PDU, value: unknown, skipUdh?: boolean): unknown;
      decode(this: PDU, value: unknown, skipUdh?: boolean): unknown;
    }

    interface ParamDef {
      type: FieldType;
      default?: unknown;
      filter?: FieldFilter;
    }

    interface CommandDef {
      id: number;
      command?: string;
      params?: Record<string, ParamDef>;
      tlvMap?: Record<string, string>;
    }

    interface TlvDef {
      id: number;
      tag?: string;
      type: FieldType;
      filter?: FieldFilter;
      multiple?: boolean;
    }

    /** One SMPP PDU: header fields plus one property per parameter or TLV present. */
    class PDU {
      constructor(command: string, options?: Record<string, unknown>);
      constructor(buffer: Buffer);
      command: string;
      command_length: number;
      command_id: number;
      command_status: number;
      sequence_number: number;
      isResponse(): boolean;
      /** The response PDU for this request (generic_nack for an unknown command). */
      response(options?: Record<string, unknown>): PDU;
      toBuffer(): Buffer;
      [field: string]: unknown;
      static maxLength: number;
      static fromBuffer(buffer: Buffer): PDU | false;
    }

    /** The package's connection (used by the fake SMSC and the raw benchmark loop). */
    class Session extends EventEmitter {
      socket: Socket;
      send(pdu: PDU, responseCallback?: (pdu: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      on(event: 'pdu', listener: (pdu: PDU) => void): this;
      on(event: 'close', listener: () => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: 'connect' | 'secureConnect', listener: () => void): this;
      on(event: string, listener: (...args: never[]) => void): this;
    }

    class Server extends NetServer {
      sessions: Session[];
    }

    function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
    function createServer(listener?: (session: Session) => void): Server;
    function connect(options: { host: string; port: number; auto_enquire_link_period?: number }, listener?: () => void): Session;
    /** Defines (or redefines) a command; the codec and Session shortcuts follow. */
    function addCommand(command: string, options: CommandDef): void;
    function addTLV(tag: string, options: TlvDef): void;

    const commands: Record<string, CommandDef>;
    const commandsById: Record<number, CommandDef>;
    const tlvs: Record<string, TlvDef>;
    const types: {
      int8: FieldType;
      int16: FieldType;
      int32: FieldType;
      string: FieldType;
      cstring: FieldType;
      buffer: FieldType;
      tlv: { int8: FieldType; int16: FieldType; int32: FieldType; cstring: FieldType; string: FieldType; buffer: FieldType };
    };
    const errors: Record<string, number>;
  }

  export = smpp;
}
