import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPrivateAddress, privateHostProblem } from './private-network.js';

test('loopback, private, link-local, CGNAT, reserved and multicast addresses are private', () => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.10',
    '169.254.169.254', // cloud metadata
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1', // the same, written in hex
    '::ffff:a9fe:a9fe',
    '[::1]',
  ]) {
    assert.equal(isPrivateAddress(a), true, a);
  }
});

test('public addresses and names are not judged private by their text', () => {
  for (const a of [
    '8.8.8.8',
    '172.32.0.1',
    '192.169.0.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    'example.com',
  ]) {
    assert.equal(isPrivateAddress(a), false, a);
  }
});

test('a host is refused by name when it is localhost or a private literal; other names wait for DNS', () => {
  assert.match(privateHostProblem('localhost') ?? '', /this machine/);
  assert.match(privateHostProblem('LOCALHOST.') ?? '', /this machine/);
  assert.match(privateHostProblem('api.localhost') ?? '', /this machine/);
  assert.match(privateHostProblem('10.0.0.5') ?? '', /private/);
  assert.match(privateHostProblem('[fd12::1]') ?? '', /private/);
  assert.equal(privateHostProblem('maint.example.com'), undefined);
  assert.equal(privateHostProblem('93.184.216.34'), undefined);
});
