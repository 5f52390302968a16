import { EventEmitter } from 'node:events';

/** A listener map: each event's name and the signature of its listeners. */
export type ListenerMap<T> = { [E in keyof T]: (...args: any[]) => void }; // eslint-disable-line @typescript-eslint/no-explicit-any -- must accept every listener signature

/**
 * A node EventEmitter whose `on`, `once`, `off`, `addListener`, `removeListener`
 * and `emit` know the events it declares (as BullMQ types its worker events), so
 * listeners get their payload types by inference and a misspelt event name fails
 * to compile.
 *
 * Chosen over the generic `EventEmitter<T>` of @types/node: that one accepts any
 * event name (a misspelt one only shows as a listener of type `never`), and our
 * published typings would need a consumer's @types/node to be recent enough to
 * have it.
 *
 * @example
 * export interface ClockEvents {
 *   tick: (at: number) => void;
 * }
 * class Clock extends TypedEmitter<ClockEvents> {}
 * new Clock().on('tick', (at) => console.log(at.toFixed()));
 */
export class TypedEmitter<Events extends ListenerMap<Events>> extends EventEmitter {
  override on<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    return super.on(event, listener);
  }

  override addListener<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    return super.addListener(event, listener);
  }

  override once<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    return super.once(event, listener);
  }

  override off<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    return super.off(event, listener);
  }

  override removeListener<E extends keyof Events & string>(event: E, listener: Events[E]): this {
    return super.removeListener(event, listener);
  }

  override emit<E extends keyof Events & string>(event: E, ...args: Parameters<Events[E]>): boolean {
    return super.emit(event, ...args);
  }
}
