/** FifoLimiter: at most `limit` in flight, the rest in arrival order, a freed slot handed to the next. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FifoLimiter } from '../../src/limiter.js';

test('at most the limit run; the others start in order as slots free', () => {
  const gate = new FifoLimiter(2);
  const started: number[] = [];
  for (let i = 0; i < 5; i++) gate.enter(() => started.push(i));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(gate.load(), { running: 2, waiting: 3 });
  gate.leave();
  assert.deepEqual(started, [0, 1, 2]);
  assert.deepEqual(gate.load(), { running: 2, waiting: 2 });
  gate.leave();
  gate.leave();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  gate.leave();
  gate.leave();
  assert.deepEqual(gate.load(), { running: 0, waiting: 0 });
  // Empty again: the next one runs at once.
  gate.enter(() => started.push(5));
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
});

test('work that enters while the queue drains keeps its place behind those already waiting', () => {
  const gate = new FifoLimiter(1);
  const order: string[] = [];
  gate.enter(() => order.push('a'));
  gate.enter(() => {
    order.push('b');
    gate.enter(() => order.push('d'));
  });
  gate.enter(() => order.push('c'));
  gate.leave(); // a ends: b runs and queues d behind c
  gate.leave(); // b ends: c
  gate.leave(); // c ends: d
  assert.deepEqual(order, ['a', 'b', 'c', 'd']);
});
